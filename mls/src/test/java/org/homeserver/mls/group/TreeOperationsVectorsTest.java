package org.homeserver.mls.group;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.tree.PublicTree;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The working group's tree-operations vectors: an Add, Update or Remove applied by {@link TreeEdit}
 * to {@code tree_before} gives exactly {@code tree_after}, hashing to {@code tree_hash_after}. The
 * delivery service's member map is read from these leaves, so this is where its placement of
 * members (leftmost blank leaf, doubling, truncation) is held to the vectors.
 */
class TreeOperationsVectorsTest {

  static Stream<Map<String, Object>> cases() {
    List<Map<String, Object>> cases = TestVectors.load("tree-operations.json");
    assertEquals(5, cases.size());
    return cases.stream();
  }

  @ParameterizedTest
  @MethodSource("cases")
  void eachProposalGivesTheVectorsTreeAfter(Map<String, Object> vector) throws Exception {
    CipherSuite suite = CipherSuite.fromCode(((Number) vector.get("cipher_suite")).intValue()).orElseThrow();
    PublicTree before = PublicTree.of(suite, tree(vector, "tree_before"));
    assertArrayEquals(TestVectors.hex((String) vector.get("tree_hash_before")), before.treeHash());
    Proposal proposal = MlsReader.decodeAll(TestVectors.hex((String) vector.get("proposal")), "proposal",
        Proposal::decode);
    long sender = ((Number) vector.get("proposal_sender")).longValue();

    TreeEdit edit = new TreeEdit(before);
    switch (proposal) {
      case Proposal.Add add -> edit.add(add.keyPackage().leafNode());
      case Proposal.Update update -> edit.update(sender, update.leafNode());
      case Proposal.Remove(long removed) -> edit.remove(removed);
      default -> throw new AssertionError("the vectors hold only add, update and remove, not " + proposal.type());
    }
    PublicTree after = edit.toTree();

    assertArrayEquals(TestVectors.hex((String) vector.get("tree_after")), ratchetTreeBytes(after));
    assertArrayEquals(TestVectors.hex((String) vector.get("tree_hash_after")), after.treeHash());
    // The edit rehashed only what it touched; every node's hash is the one a fresh tree computes.
    PublicTree fresh = PublicTree.of(suite, tree(vector, "tree_after"));
    for (int x = 0; x < fresh.nodeWidth(); x++) {
      assertArrayEquals(fresh.treeHash(x), after.treeHash(x), "node " + x);
    }
  }

  private static byte[] ratchetTreeBytes(PublicTree tree) {
    return StoredGroupState.ratchetTree(tree).toBytes();
  }

  private static RatchetTree tree(Map<String, Object> vector, String field) throws MlsDecodeException {
    return MlsReader.decodeAll(TestVectors.hex((String) vector.get(field)), field, RatchetTree::decode);
  }
}
