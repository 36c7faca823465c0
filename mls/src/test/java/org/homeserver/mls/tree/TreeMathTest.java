package org.homeserver.mls.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The index arithmetic on the trees of RFC 9420 Appendix C's figures: eight leaves at nodes 0 to 14,
 * root 7, and the smaller trees of one, two and four leaves.
 */
class TreeMathTest {
  @Test
  void widthAndRootOfFullTrees() {
    assertEquals(List.of(1, 3, 7, 15), List.of(1, 2, 4, 8).stream().map(TreeMath::nodeWidth).toList());
    assertEquals(List.of(0, 1, 3, 7), List.of(1, 2, 4, 8).stream().map(TreeMath::root).toList());
    assertEquals(0, TreeMath.nodeWidth(0));
  }

  @Test
  void levelCountsTheHeightAboveTheLeaves() {
    assertEquals(List.of(0, 1, 0, 2, 0, 1, 0, 3, 0, 1, 0, 2, 0, 1, 0),
        IntStream.range(0, 15).mapToObj(TreeMath::level).toList());
  }

  @Test
  void childrenOfTheEightLeafTree() {
    assertEquals(3, TreeMath.left(7));
    assertEquals(11, TreeMath.right(7));
    assertEquals(1, TreeMath.left(3));
    assertEquals(5, TreeMath.right(3));
    assertEquals(12, TreeMath.left(13));
    assertEquals(14, TreeMath.right(13));
  }

  @Test
  void parentAndSiblingInTheEightLeafTree() {
    assertEquals(List.of(1, 3, 1, 7, 5, 3, 5, -1, 9, 11, 9, 7, 13, 11, 13), parents(8));
    assertEquals(2, TreeMath.sibling(0, 8));
    assertEquals(5, TreeMath.sibling(1, 8));
    assertEquals(3, TreeMath.sibling(11, 8));
    assertEquals(12, TreeMath.sibling(14, 8));
  }

  @Test
  void theSameNodeIsTheRootOfASmallTreeAndHasAParentInALargerOne() {
    assertThrows(IllegalArgumentException.class, () -> TreeMath.parent(3, 4));
    assertEquals(7, TreeMath.parent(3, 8));
  }

  @Test
  void directPathAndCopathRunFromTheLeafToTheRoot() {
    assertEquals(List.of(5, 3, 7), TreeMath.directPath(4, 8));
    assertEquals(List.of(6, 1, 11), TreeMath.copath(4, 8));
    assertEquals(List.of(13, 11, 7), TreeMath.directPath(14, 8));
    assertEquals(List.of(12, 9, 3), TreeMath.copath(14, 8));
    assertEquals(List.of(7), TreeMath.directPath(11, 8));
    assertEquals(List.of(3), TreeMath.copath(11, 8));
  }

  @Test
  void theRootAndTheOnlyLeafHaveEmptyPaths() {
    assertEquals(List.of(), TreeMath.directPath(7, 8));
    assertEquals(List.of(), TreeMath.copath(7, 8));
    assertEquals(List.of(), TreeMath.directPath(0, 1));
    assertEquals(List.of(), TreeMath.copath(0, 1));
  }

  @Test
  void parentAndChildrenAgreeInEveryTreeUpTo1024Leaves() {
    for (int n = 1; n <= 1024; n *= 2) {
      for (int x = 0; x < TreeMath.nodeWidth(n); x++) {
        if (x != TreeMath.root(n)) {
          int p = TreeMath.parent(x, n);
          assertEquals(x, x < p ? TreeMath.left(p) : TreeMath.right(p), "node " + x + " of " + n + " leaves");
          assertEquals(TreeMath.level(x) + 1, TreeMath.level(p));
        }
      }
    }
  }

  @Test
  void subtreeOfANodeSpansItsDescendants() {
    assertTrue(TreeMath.isInSubtree(4, 3));
    assertTrue(TreeMath.isInSubtree(3, 3));
    assertTrue(TreeMath.isInSubtree(14, 7));
    assertFalse(TreeMath.isInSubtree(8, 3));
    assertFalse(TreeMath.isInSubtree(7, 3));
    assertFalse(TreeMath.isInSubtree(2, 0));
  }

  @Test
  void leafAndNodeIndicesConvert() {
    assertEquals(6, TreeMath.nodeOfLeaf(3));
    assertEquals(3, TreeMath.leafOfNode(6));
    assertThrows(IllegalArgumentException.class, () -> TreeMath.leafOfNode(5));
    assertThrows(IllegalArgumentException.class, () -> TreeMath.nodeOfLeaf(TreeMath.MAX_LEAVES));
  }

  @Test
  void leafCountsThatAreNotPowersOfTwoAndNodesOutsideTheTreeAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> TreeMath.root(3));
    assertThrows(IllegalArgumentException.class, () -> TreeMath.root(0));
    assertThrows(IllegalArgumentException.class, () -> TreeMath.parent(15, 8));
    assertThrows(IllegalArgumentException.class, () -> TreeMath.directPath(-1, 8));
    assertThrows(IllegalArgumentException.class, () -> TreeMath.left(4));
  }

  private static List<Integer> parents(int n) {
    return IntStream.range(0, TreeMath.nodeWidth(n))
        .mapToObj(x -> x == TreeMath.root(n) ? -1 : TreeMath.parent(x, n)).toList();
  }
}
