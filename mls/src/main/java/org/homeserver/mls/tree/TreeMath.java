package org.homeserver.mls.tree;

import java.util.ArrayList;
import java.util.List;

/**
 * Index arithmetic of the array-represented ratchet tree (RFC 9420 section 4.1 and Appendix C).
 * Nodes are numbered left to right, leaf k at node 2k and parents at the odd indices between them.
 * The functions that take {@code n}, the number of leaves, require it to be a power of two (at most
 * 2^30, so that node indices fit an int): every RFC 9420 tree is full, since it grows and shrinks by
 * doubling and halving (section 7.7), and the ratchet_tree extension is padded to that width
 * (section 12.4.3.3). Bad arguments throw IllegalArgumentException.
 */
public final class TreeMath {
  /** The largest leaf count handled; its node width, 2^31 - 1, is the largest int. */
  public static final int MAX_LEAVES = 1 << 30;

  private TreeMath() {}

  /** Whether node {@code x} is a leaf (even index). */
  public static boolean isLeaf(int x) {
    return (x & 1) == 0;
  }

  /** The node index of leaf {@code leafIndex}. */
  public static int nodeOfLeaf(int leafIndex) {
    if (leafIndex < 0 || leafIndex >= MAX_LEAVES) {
      throw new IllegalArgumentException("leaf " + leafIndex + " is outside any tree of up to 2^30 leaves");
    }
    return 2 * leafIndex;
  }

  /** The leaf index of leaf node {@code x}. */
  public static int leafOfNode(int x) {
    requireKind(x, true);
    return x / 2;
  }

  /** The height of node {@code x} above the leaves: 0 for a leaf, k for the root of 2^k leaves. */
  public static int level(int x) {
    requireNonNegative(x);
    return Integer.numberOfTrailingZeros(~x);
  }

  /** The number of nodes of a tree with {@code n} leaves. */
  public static int nodeWidth(int n) {
    return n == 0 ? 0 : 2 * (n - 1) + 1;
  }

  /** The root of a tree with {@code n} leaves. */
  public static int root(int n) {
    requireLeafCount(n);
    return Integer.highestOneBit(nodeWidth(n)) - 1;
  }

  /** The left child of parent node {@code x}. */
  public static int left(int x) {
    requireKind(x, false);
    return x ^ (1 << (level(x) - 1));
  }

  /** The right child of parent node {@code x}. */
  public static int right(int x) {
    requireKind(x, false);
    return x ^ (3 << (level(x) - 1));
  }

  /** The parent of node {@code x}, which must not be the root, in a tree with {@code n} leaves. */
  public static int parent(int x, int n) {
    requireNode(x, n);
    if (x == root(n)) {
      throw new IllegalArgumentException("the root " + x + " has no parent");
    }
    int k = level(x);
    int b = (x >> (k + 1)) & 1;
    return (x | (1 << k)) ^ (b << (k + 1));
  }

  /** The other child of the parent of node {@code x}, which must not be the root. */
  public static int sibling(int x, int n) {
    int p = parent(x, n);
    return x < p ? right(p) : left(p);
  }

  /** The ancestors of node {@code x}, from its parent to the root; empty for the root. */
  public static List<Integer> directPath(int x, int n) {
    requireNode(x, n);
    List<Integer> path = new ArrayList<>();
    for (int r = root(n); x != r; ) {
      x = parent(x, n);
      path.add(x);
    }
    return path;
  }

  /** The siblings of node {@code x} and of its ancestors below the root, from x's sibling up. */
  public static List<Integer> copath(int x, int n) {
    requireNode(x, n);
    List<Integer> copath = new ArrayList<>();
    for (int r = root(n); x != r; x = parent(x, n)) {
      copath.add(sibling(x, n));
    }
    return copath;
  }

  /** Whether node {@code x} lies in the subtree under node {@code top} (top itself included). */
  public static boolean isInSubtree(int x, int top) {
    requireNonNegative(x);
    int halfWidth = (1 << level(top)) - 1;
    return x >= top - halfWidth && x <= top + halfWidth;
  }

  private static void requireLeafCount(int n) {
    if (n <= 0 || n > MAX_LEAVES || Integer.bitCount(n) != 1) {
      throw new IllegalArgumentException("a ratchet tree has a power of two leaves, up to 2^30, not " + n);
    }
  }

  private static void requireNode(int x, int n) {
    requireLeafCount(n);
    if (x < 0 || x >= nodeWidth(n)) {
      throw new IllegalArgumentException("node " + x + " is outside a tree of " + n + " leaves");
    }
  }

  private static void requireNonNegative(int x) {
    if (x < 0) {
      throw new IllegalArgumentException("node indices are not negative: " + x);
    }
  }

  private static void requireKind(int x, boolean leaf) {
    requireNonNegative(x);
    if (isLeaf(x) != leaf) {
      throw new IllegalArgumentException(
          "node " + x + " is " + (leaf ? "a parent, not a leaf" : "a leaf: it has no children"));
    }
  }
}
