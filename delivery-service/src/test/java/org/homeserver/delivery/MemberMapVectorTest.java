package org.homeserver.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.homeserver.delivery.MemberMap.Change;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.RatchetTree;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The working group's tree-operations vectors: the member map moves exactly as their ratchet trees do. */
class MemberMapVectorTest {

  static Stream<Map<String, Object>> cases() {
    List<Map<String, Object>> cases = TestVectors.load("tree-operations.json");
    assertEquals(5, cases.size());
    return cases.stream();
  }

  @ParameterizedTest
  @MethodSource("cases")
  void eachProposalLeavesTheMapAsTheVectorsTreeAfter(Map<String, Object> vector) throws Exception {
    RatchetTree before = tree(vector, "tree_before");
    RatchetTree after = tree(vector, "tree_after");
    Proposal proposal = MlsReader.decodeAll(TestVectors.hex((String) vector.get("proposal")), "proposal",
        Proposal::decode);

    MemberMap result = new MemberMap(leaves(before)).apply(List.of(change(proposal)));

    List<Optional<String>> expected = leaves(after);
    if (proposal instanceof Proposal.Update) {
      // The updated leaf may carry a new signature key, but its occupant is the same client.
      int sender = ((Number) vector.get("proposal_sender")).intValue();
      expected.set(sender, leaves(before).get(sender));
    }
    assertEquals(widthOf(after), result.size(), "leaf count after truncation");
    for (int i = 0; i < result.size(); i++) {
      assertEquals(i < expected.size() ? expected.get(i) : Optional.empty(), result.occupant(i), "leaf " + i);
    }
  }

  private static Change change(Proposal proposal) {
    return switch (proposal) {
      case Proposal.Add add -> new MemberMap.Add(HexFormat.of().formatHex(add.keyPackage().leafNode().signatureKey()));
      case Proposal.Update u -> new MemberMap.Update();
      case Proposal.Remove(long removed) -> new MemberMap.Remove(removed);
      default -> throw new AssertionError("the vectors hold only add, update and remove, not " + proposal.type());
    };
  }

  private static RatchetTree tree(Map<String, Object> vector, String field) throws MlsDecodeException {
    return MlsReader.decodeAll(TestVectors.hex((String) vector.get(field)), field, RatchetTree::decode);
  }

  // Leaf i is node 2i; each occupant is named by its signature key.
  private static List<Optional<String>> leaves(RatchetTree tree) {
    var leaves = new ArrayList<Optional<String>>();
    for (int node = 0; node < tree.nodes().size(); node += 2) {
      leaves.add(tree.nodes().get(node).map(n -> HexFormat.of().formatHex(
          ((RatchetTree.Leaf) n).leafNode().signatureKey())));
    }
    return leaves;
  }

  // The serialised tree omits trailing blank nodes (RFC 9420 section 12.4.3.3); its full width is the
  // smallest power of two whose 2n - 1 nodes cover what was sent.
  private static int widthOf(RatchetTree tree) {
    int width = 1;
    while (2 * width - 1 < tree.nodes().size()) {
      width *= 2;
    }
    return width;
  }
}
