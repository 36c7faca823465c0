package org.homeserver.mls.tree;

import static org.homeserver.mls.tree.TreeMath.copath;
import static org.homeserver.mls.tree.TreeMath.directPath;
import static org.homeserver.mls.tree.TreeMath.isInSubtree;
import static org.homeserver.mls.tree.TreeMath.isLeaf;
import static org.homeserver.mls.tree.TreeMath.left;
import static org.homeserver.mls.tree.TreeMath.nodeOfLeaf;
import static org.homeserver.mls.tree.TreeMath.parent;
import static org.homeserver.mls.tree.TreeMath.right;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.message.RatchetTree.Leaf;
import org.homeserver.mls.message.RatchetTree.Node;
import org.homeserver.mls.message.RatchetTree.Parent;

/**
 * A group's public ratchet tree (RFC 9420 section 7) as a ratchet_tree extension carries it, padded
 * with blank nodes to its full width (section 12.4.3.3): its nodes, resolutions, filtered direct
 * paths, tree hashes and parent hashes. A PublicTree is always well formed (rules
 * {@link TreeRule#SHAPE} and {@link TreeRule#UNMERGED_LEAVES}), which resolutions rely on; the
 * rest of what a joiner checks is {@link TreeValidator}'s. Node indices are as in {@link TreeMath}.
 */
public final class PublicTree {
  private final CipherSuite suite;
  private final List<Optional<Node>> nodes;
  private final int leafCount;
  private final TreeHashes hashes;

  private PublicTree(CipherSuite suite, List<Optional<Node>> nodes, int leafCount, TreeHashes.Reuse reuse) {
    this.suite = suite;
    this.nodes = nodes;
    this.leafCount = leafCount;
    this.hashes = new TreeHashes(suite, nodes, TreeMath.root(leafCount), reuse);
  }

  /**
   * The tree that {@code tree} describes, padded to the smallest full width, with every node's tree
   * hash computed (hashed with {@code suite}'s hash).
   *
   * @throws InvalidTreeException for a tree that is empty, ends in a blank node, has a node of the
   *     wrong kind for its index, or whose unmerged leaves are inconsistent (section 12.4.3.1)
   */
  public static PublicTree of(CipherSuite suite, RatchetTree tree) throws InvalidTreeException {
    return of(suite, tree, TreeHashes.Reuse.NONE);
  }

  /**
   * As {@link #of}, for {@code tree} made from {@code base} by changing the nodes in {@code changed}
   * (indices of {@code base}'s or the new tree's nodes): the tree hashes of subtrees that hold none of
   * them, at the same indices, are {@code base}'s, so a commit rehashes its paths, not the tree.
   */
  public static PublicTree edited(PublicTree base, RatchetTree tree, BitSet changed) throws InvalidTreeException {
    return of(base.suite, tree, new TreeHashes.Reuse(base.hashes, changed));
  }

  private static PublicTree of(CipherSuite suite, RatchetTree tree, TreeHashes.Reuse reuse)
      throws InvalidTreeException {
    List<Optional<Node>> given = tree.nodes();
    if (given.isEmpty() || given.getLast().isEmpty()) {
      throw new InvalidTreeException(TreeRule.SHAPE,
          given.isEmpty() ? "the tree has no nodes" : "the last node is blank");
    }
    // 2k + 1 nodes end with leaf k; 2k nodes end with a parent whose right subtree starts at leaf k.
    int leaves = given.size() / 2 + 1;
    if (leaves > TreeMath.MAX_LEAVES) {
      throw new InvalidTreeException(TreeRule.SHAPE, "the tree has more than 2^30 leaves");
    }
    int leafCount = Integer.bitCount(leaves) == 1 ? leaves : Integer.highestOneBit(leaves) << 1;
    List<Optional<Node>> nodes = new ArrayList<>(given);
    nodes.addAll(Collections.nCopies(TreeMath.nodeWidth(leafCount) - given.size(), Optional.empty()));
    checkNodeKinds(nodes);
    checkUnmergedLeaves(nodes, leafCount);
    return new PublicTree(suite, List.copyOf(nodes), leafCount, reuse);
  }

  public CipherSuite suite() {
    return suite;
  }

  /** The number of leaves, blank ones included: a power of two. */
  public int leafCount() {
    return leafCount;
  }

  /** The number of nodes, blank ones included. */
  public int nodeWidth() {
    return nodes.size();
  }

  /** Node {@code x}; empty if it is blank. */
  public Optional<Node> node(int x) {
    return nodes.get(x);
  }

  /** The leaf node in leaf {@code leafIndex}; empty for a blank leaf or one beyond the tree. */
  public Optional<LeafNode> leaf(long leafIndex) {
    if (leafIndex < 0 || leafIndex >= leafCount) {
      return Optional.empty();
    }
    return node(TreeMath.nodeOfLeaf((int) leafIndex)).map(n -> ((RatchetTree.Leaf) n).leafNode());
  }

  /**
   * The resolution of node {@code x} (section 4.1.1): the non-blank nodes that cover its subtree,
   * left to right, each parent followed by its unmerged leaves in the order it lists them.
   */
  public List<Integer> resolution(int x) {
    List<Integer> resolution = new ArrayList<>();
    addResolution(x, resolution);
    return resolution;
  }

  /**
   * The filtered direct path of node {@code x} (section 4.1.2): its direct path without the
   * ancestors whose child on x's copath has an empty resolution.
   */
  public List<Integer> filteredDirectPath(int x) {
    List<Integer> path = directPath(x, leafCount);
    List<Integer> copath = copath(x, leafCount);
    List<Integer> filtered = new ArrayList<>();
    for (int i = 0; i < path.size(); i++) {
      if (!resolution(copath.get(i)).isEmpty()) {
        filtered.add(path.get(i));
      }
    }
    return filtered;
  }

  /** The tree hash of node {@code x} (section 7.8). */
  public byte[] treeHash(int x) {
    return hashes.treeHash(x).clone();
  }

  /** The tree hash of the root: the tree_hash of the group's GroupContext and GroupInfo. */
  public byte[] treeHash() {
    return treeHash(TreeMath.root(leafCount));
  }

  /**
   * The parent hash of non-blank parent node {@code p} with copath child {@code s}, one of p's
   * children (section 7.9): what the parent_hash of the node below p on the other side must be.
   */
  public byte[] parentHash(int p, int s) {
    if (!(nodes.get(p).orElse(null) instanceof Parent parent)) {
      throw new IllegalArgumentException("node " + p + " is not a non-blank parent");
    }
    if (s != left(p) && s != right(p)) {
      throw new IllegalArgumentException("node " + s + " is not a child of " + p);
    }
    return hashes.parentHash(parent, s);
  }

  /**
   * The parent hash that {@code parent} would have as a child {@code s}'s parent with s on the
   * copath (section 7.9): what a committer's new path is chained with, before it is in the tree.
   * Only s's subtree is read.
   */
  public byte[] parentHash(Parent parent, int s) {
    return hashes.parentHash(parent, s);
  }

  private void addResolution(int x, List<Integer> resolution) {
    switch (nodes.get(x).orElse(null)) {
      case null -> {
        if (!isLeaf(x)) {
          addResolution(left(x), resolution);
          addResolution(right(x), resolution);
        }
      }
      case Leaf leaf -> resolution.add(x);
      case Parent parent -> {
        resolution.add(x);
        parent.unmergedLeaves().forEach(leaf -> resolution.add(nodeOfLeaf(leaf.intValue())));
      }
    }
  }

  private static void checkNodeKinds(List<Optional<Node>> nodes) throws InvalidTreeException {
    for (int x = 0; x < nodes.size(); x++) {
      if (nodes.get(x).isPresent() && (nodes.get(x).get() instanceof Leaf) != isLeaf(x)) {
        throw new InvalidTreeException(TreeRule.SHAPE, "node " + x + " is a " + (isLeaf(x) ? "parent" : "leaf")
            + " node, where the tree has " + (isLeaf(x) ? "leaves" : "parents"));
      }
    }
  }

  /**
   * Section 12.4.3.1: each unmerged leaf of a parent is a non-blank leaf below it, and every non-blank
   * node between them lists it as well.
   */
  private static void checkUnmergedLeaves(List<Optional<Node>> nodes, int leafCount) throws InvalidTreeException {
    for (int p = 1; p < nodes.size(); p += 2) {
      if (!(nodes.get(p).orElse(null) instanceof Parent parent)) {
        continue;
      }
      for (long leaf : parent.unmergedLeaves()) {
        int x = leaf < leafCount ? nodeOfLeaf((int) leaf) : -1;
        if (x < 0 || !isInSubtree(x, p) || nodes.get(x).isEmpty()) {
          throw new InvalidTreeException(TreeRule.UNMERGED_LEAVES, "parent node " + p + " lists unmerged leaf " + leaf
              + ", which is not a non-blank leaf below it");
        }
        for (int between = parent(x, leafCount); between != p; between = parent(between, leafCount)) {
          if (nodes.get(between).orElse(null) instanceof Parent q && !q.unmergedLeaves().contains(leaf)) {
            throw new InvalidTreeException(TreeRule.UNMERGED_LEAVES, "parent node " + p + " lists unmerged leaf " + leaf
                + ", but parent node " + between + " between them does not");
          }
        }
      }
    }
  }
}
