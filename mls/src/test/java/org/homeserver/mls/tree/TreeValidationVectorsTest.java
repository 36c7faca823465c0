package org.homeserver.mls.tree;

import static org.homeserver.mls.TestVectors.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.TestBytes;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.message.RatchetTree.Leaf;
import org.homeserver.mls.message.RatchetTree.Node;
import org.homeserver.mls.message.RatchetTree.Parent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tree hashes, resolutions and parent-hash validity of every tree of the working group's
 * tree-validation.json (98 trees, 14 per suite), and what one flipped bit does to them.
 */
class TreeValidationVectorsTest {
  private static final List<Map<String, Object>> CASES = TestVectors.load("tree-validation.json");

  record TreeCase(int number, CipherSuite suite, RatchetTree tree, byte[] groupId, List<byte[]> treeHashes,
                  List<List<Integer>> resolutions) {
    PublicTree publicTree() throws InvalidTreeException {
      return PublicTree.of(suite, tree);
    }

    /** The root's hash as the vector gives it: what the group's GroupInfo would state. */
    byte[] rootHash() {
      return treeHashes.get((treeHashes.size() - 1) / 2);
    }

    /** This case's tree with node {@code x} (not blank) replaced by {@code edit}'s result. */
    RatchetTree withNode(int x, UnaryOperator<Node> edit) {
      List<Optional<Node>> nodes = new ArrayList<>(tree.nodes());
      nodes.set(x, Optional.of(edit.apply(nodes.get(x).orElseThrow())));
      return new RatchetTree(nodes);
    }

    @Override
    public String toString() {
      return "case " + number + " (suite " + suite.code() + ", " + tree.nodes().size() + " nodes)";
    }
  }

  /** One node of one case's tree. */
  record NodeOfCase(TreeCase treeCase, int node) {
    @Override
    public String toString() {
      return treeCase + " node " + node;
    }
  }

  /** An unmerged leaf of a parent node, on the side of the one node chained to that parent. */
  record UnmergedLeafOfCase(TreeCase treeCase, int parent, long leaf) {
    @Override
    public String toString() {
      return treeCase + " parent " + parent + " leaf " + leaf;
    }
  }

  static Stream<TreeCase> cases() {
    return IntStream.range(0, CASES.size()).mapToObj(TreeValidationVectorsTest::treeCase);
  }

  @SuppressWarnings("unchecked")
  private static TreeCase treeCase(int number) {
    Map<String, Object> c = CASES.get(number);
    int code = ((Number) c.get("cipher_suite")).intValue();
    CipherSuite suite = CipherSuite.fromCode(code).orElseThrow(() -> new AssertionError("unknown suite " + code));
    RatchetTree tree;
    try {
      tree = MlsReader.decodeAll(hex((String) c.get("tree")), "ratchet_tree", RatchetTree::decode);
    } catch (MlsDecodeException e) {
      throw new AssertionError("case " + number + ": " + e.getMessage(), e);
    }
    List<byte[]> treeHashes = ((List<String>) c.get("tree_hashes")).stream().map(TestVectors::hex).toList();
    return new TreeCase(number, suite, tree, hex((String) c.get("group_id")), treeHashes,
        (List<List<Integer>>) c.get("resolutions"));
  }

  /** Every non-blank parent node of every case whose parent_hash is not empty (the root's is). */
  static Stream<NodeOfCase> parentsWithParentHash() {
    return nodesOfCases(node -> node instanceof Parent p && p.parentHash().length > 0);
  }

  static Stream<NodeOfCase> parents() {
    return nodesOfCases(node -> node instanceof Parent);
  }

  static Stream<NodeOfCase> leaves() {
    return nodesOfCases(node -> node instanceof Leaf);
  }

  private static Stream<NodeOfCase> nodesOfCases(Predicate<Node> kind) {
    return cases().flatMap(c -> IntStream.range(0, c.tree().nodes().size())
        .filter(x -> c.tree().nodes().get(x).filter(kind).isPresent())
        .mapToObj(x -> new NodeOfCase(c, x)));
  }

  /** The unmerged leaves that lie under the child C of section 7.9.2 (the child above the chained node). */
  static Stream<UnmergedLeafOfCase> unmergedLeavesOnTheChainedSide() {
    return parents().flatMap(n -> {
      PublicTree tree = publicTree(n.treeCase());
      int chained = TreeValidator.nodesChainedTo(tree, n.node()).getFirst();
      int left = TreeMath.left(n.node());
      int c = TreeMath.isInSubtree(chained, left) ? left : TreeMath.right(n.node());
      return ((Parent) tree.node(n.node()).orElseThrow()).unmergedLeaves().stream()
          .filter(leaf -> TreeMath.isInSubtree(TreeMath.nodeOfLeaf(leaf.intValue()), c))
          .map(leaf -> new UnmergedLeafOfCase(n.treeCase(), n.node(), leaf));
    });
  }

  private static PublicTree publicTree(TreeCase c) {
    try {
      return c.publicTree();
    } catch (InvalidTreeException e) {
      throw new AssertionError(c + ": " + e.getMessage(), e);
    }
  }

  @Test
  void vectorsHold14TreesOfEachOfTheSevenSuites() {
    Map<CipherSuite, Long> perSuite = cases().collect(Collectors.groupingBy(TreeCase::suite, Collectors.counting()));
    assertEquals(EnumSet.allOf(CipherSuite.class), perSuite.keySet());
    assertEquals(List.of(14L), perSuite.values().stream().distinct().toList());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void treeIsPaddedToTheFullWidthTheVectorsHashesCover(TreeCase c) throws InvalidTreeException {
    PublicTree tree = c.publicTree();
    assertEquals(c.treeHashes().size(), tree.nodeWidth());
    assertEquals(TreeMath.nodeWidth(tree.leafCount()), tree.nodeWidth());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void everyNodesTreeHashIsTheVectors(TreeCase c) throws InvalidTreeException {
    PublicTree tree = c.publicTree();
    for (int x = 0; x < tree.nodeWidth(); x++) {
      assertArrayEquals(c.treeHashes().get(x), tree.treeHash(x), "node " + x);
    }
    assertArrayEquals(c.rootHash(), tree.treeHash());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void everyNodesResolutionIsTheVectors(TreeCase c) throws InvalidTreeException {
    PublicTree tree = c.publicTree();
    for (int x = 0; x < tree.nodeWidth(); x++) {
      assertEquals(c.resolutions().get(x), tree.resolution(x), "node " + x);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void treePassesEveryCheckOfAJoiner(TreeCase c) throws InvalidTreeException {
    PublicTree tree = c.publicTree();
    assertDoesNotThrow(() -> TreeValidator.validate(tree, c.rootHash(), c.groupId()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("parentsWithParentHash")
  void flippedBitInAParentsParentHashBreaksParentHashValidity(NodeOfCase n) throws InvalidTreeException {
    RatchetTree edited = n.treeCase().withNode(n.node(), node -> {
      Parent p = (Parent) node;
      return new Parent(p.encryptionKey(), TestBytes.flipBit(p.parentHash(), n.node() % 8), p.unmergedLeaves());
    });
    assertRejectedEvenWithItsOwnTreeHash(n, edited, TreeRule.PARENT_HASH);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("parents")
  void flippedBitInAParentsEncryptionKeyBreaksParentHashValidity(NodeOfCase n) throws InvalidTreeException {
    RatchetTree edited = n.treeCase().withNode(n.node(), node -> {
      Parent p = (Parent) node;
      return new Parent(TestBytes.flipBit(p.encryptionKey(), n.node() % 8), p.parentHash(), p.unmergedLeaves());
    });
    assertRejectedEvenWithItsOwnTreeHash(n, edited, TreeRule.PARENT_HASH);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("leaves")
  void flippedBitInALeafsEncryptionKeyChangesTheTreeHash(NodeOfCase n) throws InvalidTreeException {
    RatchetTree edited = n.treeCase().withNode(n.node(), node -> {
      LeafNode l = ((Leaf) node).leafNode();
      return new Leaf(new LeafNode(TestBytes.flipBit(l.encryptionKey(), n.node() % 8), l.signatureKey(), l.credential(),
          l.capabilities(), l.source(), l.extensions(), l.signature()));
    });
    PublicTree tree = PublicTree.of(n.treeCase().suite(), edited);
    InvalidTreeException e = assertThrows(InvalidTreeException.class,
        () -> TreeValidator.validate(tree, n.treeCase().rootHash(), n.treeCase().groupId()));
    assertEquals(TreeRule.TREE_HASH, e.rule(), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unmergedLeavesOnTheChainedSide")
  void parentThatForgetsAnUnmergedLeafOnItsChainedSideHasNoNodeChainedToIt(UnmergedLeafOfCase u)
      throws InvalidTreeException {
    // The leaf leaves the lists of the parent and of its ancestors, so the tree stays well formed;
    // the parent's own parent hash does not change, since it covers only the other child's subtree.
    List<Optional<Node>> nodes = new ArrayList<>(u.treeCase().tree().nodes());
    int leafCount = publicTree(u.treeCase()).leafCount();
    List<Integer> forgetting = new ArrayList<>(List.of(u.parent()));
    forgetting.addAll(TreeMath.directPath(u.parent(), leafCount));
    for (int x : forgetting) {
      if (x < nodes.size() && nodes.get(x).orElse(null) instanceof Parent p) {
        nodes.set(x, Optional.of(new Parent(p.encryptionKey(), p.parentHash(),
            p.unmergedLeaves().stream().filter(leaf -> leaf != u.leaf()).toList())));
      }
    }
    PublicTree tree = PublicTree.of(u.treeCase().suite(), new RatchetTree(nodes));
    assertEquals(List.of(), TreeValidator.nodesChainedTo(tree, u.parent()));
    InvalidTreeException e = assertThrows(InvalidTreeException.class,
        () -> TreeValidator.validate(tree, tree.treeHash(), u.treeCase().groupId()));
    assertEquals(TreeRule.PARENT_HASH, e.rule(), e.getMessage());
  }

  /**
   * The edited tree fails {@code rule} even when the GroupInfo states the edited tree's own hash, as
   * a forged GroupInfo would.
   */
  private static void assertRejectedEvenWithItsOwnTreeHash(NodeOfCase n, RatchetTree edited, TreeRule rule)
      throws InvalidTreeException {
    PublicTree tree = PublicTree.of(n.treeCase().suite(), edited);
    InvalidTreeException e = assertThrows(InvalidTreeException.class,
        () -> TreeValidator.validate(tree, tree.treeHash(), n.treeCase().groupId()));
    assertEquals(rule, e.rule(), e.getMessage());
  }
}
