package org.homeserver.mls.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.message.RatchetTree.Leaf;
import org.homeserver.mls.message.RatchetTree.Node;
import org.homeserver.mls.message.RatchetTree.Parent;
import org.junit.jupiter.api.Test;

/**
 * Padding, resolutions, filtered direct paths and the shape rules on the tree of RFC 9420 section
 * 4.1.1's figure: leaves A, B, _, D, E, F, _, H at nodes 0 to 14, parent X at node 3 with B
 * unmerged, parent Y at node 9, every other parent blank.
 */
class PublicTreeTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

  private static Optional<Node> leaf(String name) {
    return Optional.of(new Leaf(TestKeyPackages.create(SUITE, name, Instant.now()).leafNode()));
  }

  private static Optional<Node> parent(Long... unmergedLeaves) {
    return Optional.of(new Parent(new byte[32], new byte[0], List.of(unmergedLeaves)));
  }

  /** The figure's nodes, in a list that can be edited. */
  private static List<Optional<Node>> figure() {
    List<Optional<Node>> nodes = new ArrayList<>(Collections.nCopies(15, Optional.empty()));
    String[] leaves = {"A", "B", null, "D", "E", "F", null, "H"};
    for (int i = 0; i < leaves.length; i++) {
      if (leaves[i] != null) {
        nodes.set(2 * i, leaf(leaves[i]));
      }
    }
    nodes.set(3, parent(1L));
    nodes.set(9, parent());
    return nodes;
  }

  private static PublicTree tree(List<Optional<Node>> nodes) throws InvalidTreeException {
    return PublicTree.of(SUITE, new RatchetTree(nodes));
  }

  private static InvalidTreeException refusal(List<Optional<Node>> nodes) {
    return assertThrows(InvalidTreeException.class, () -> tree(nodes));
  }

  @Test
  void resolutionOfTheFiguresNodes() throws InvalidTreeException {
    PublicTree tree = tree(figure());
    assertEquals(List.of(3, 2), tree.resolution(3));
    assertEquals(List.of(), tree.resolution(12));
    assertEquals(List.of(3, 2, 9, 14), tree.resolution(7));
    assertEquals(List.of(6), tree.resolution(5));
    assertEquals(List.of(0), tree.resolution(0));
  }

  @Test
  void filteredDirectPathLeavesOutAncestorsWhoseCopathChildHasAnEmptyResolution() throws InvalidTreeException {
    PublicTree tree = tree(figure());
    assertEquals(List.of(3, 7), tree.filteredDirectPath(6));
    assertEquals(List.of(11, 7), tree.filteredDirectPath(14));
    assertEquals(List.of(1, 3, 7), tree.filteredDirectPath(0));
    assertEquals(List.of(), tree.filteredDirectPath(7));
  }

  @Test
  void treeWithoutTrailingBlanksIsPaddedToTheNextFullWidth() throws InvalidTreeException {
    PublicTree three = tree(List.of(leaf("A"), Optional.empty(), leaf("B"), Optional.empty(), leaf("C")));
    assertEquals(4, three.leafCount());
    assertEquals(7, three.nodeWidth());
    assertTrue(three.node(6).isEmpty());
    assertEquals(List.of(0, 2, 4), three.resolution(3));

    PublicTree endingInAParent = tree(List.of(leaf("A"), parent()));
    assertEquals(2, endingInAParent.leafCount());
    assertEquals(1, tree(List.of(leaf("A"))).nodeWidth());
  }

  @Test
  void rootTreeHashIsTheTreeHashOfTheRootNode() throws InvalidTreeException {
    PublicTree tree = tree(figure());
    assertArrayEquals(tree.treeHash(7), tree.treeHash());
  }

  @Test
  void emptyTreeAndTreeEndingInABlankAreRefused() {
    assertEquals(TreeRule.SHAPE, refusal(List.of()).rule());
    InvalidTreeException e = refusal(List.of(leaf("A"), Optional.empty(), Optional.empty()));
    assertEquals(TreeRule.SHAPE, e.rule());
    assertEquals("the last node is blank", e.detail());
  }

  @Test
  void nodeOfTheWrongKindForItsIndexIsRefused() {
    List<Optional<Node>> parentAsLeaf = figure();
    parentAsLeaf.set(4, parent());
    InvalidTreeException e = refusal(parentAsLeaf);
    assertEquals(TreeRule.SHAPE, e.rule());
    assertEquals("node 4 is a parent node, where the tree has leaves", e.detail());

    List<Optional<Node>> leafAsParent = figure();
    leafAsParent.set(5, leaf("Z"));
    assertEquals(TreeRule.SHAPE, refusal(leafAsParent).rule());
  }

  @Test
  void unmergedLeafOutsideTheTreeOrNotBelowItsParentIsRefused() {
    for (long leaf : List.of(8L, 4L, 0xffffffffL)) {
      List<Optional<Node>> nodes = figure();
      nodes.set(3, parent(1L, leaf));
      InvalidTreeException e = refusal(nodes);
      assertEquals(TreeRule.UNMERGED_LEAVES, e.rule());
      assertEquals("parent node 3 lists unmerged leaf " + leaf + ", which is not a non-blank leaf below it",
          e.detail());
    }
  }

  @Test
  void blankUnmergedLeafIsRefused() {
    List<Optional<Node>> nodes = figure();
    nodes.set(3, parent(1L, 2L));
    assertEquals(TreeRule.UNMERGED_LEAVES, refusal(nodes).rule());
  }

  @Test
  void unmergedLeafMissingFromANonBlankNodeBetweenIsRefused() throws InvalidTreeException {
    List<Optional<Node>> nodes = figure();
    nodes.set(7, parent(4L));
    InvalidTreeException e = refusal(nodes);
    assertEquals(TreeRule.UNMERGED_LEAVES, e.rule());
    assertEquals("parent node 7 lists unmerged leaf 4, but parent node 9 between them does not", e.detail());

    nodes.set(9, parent(4L));
    assertEquals(List.of(7, 8), tree(nodes).resolution(7));
  }

  @Test
  void parentHashNeedsANonBlankParentAndOneOfItsChildren() throws InvalidTreeException {
    PublicTree tree = tree(figure());
    assertThrows(IllegalArgumentException.class, () -> tree.parentHash(1, 0));
    assertThrows(IllegalArgumentException.class, () -> tree.parentHash(3, 9));
    assertEquals(SUITE.hashLength(), tree.parentHash(3, 1).length);
  }
}
