package org.homeserver.mls.tree;

import static org.homeserver.mls.tree.TreeMath.isInSubtree;
import static org.homeserver.mls.tree.TreeMath.isLeaf;
import static org.homeserver.mls.tree.TreeMath.left;
import static org.homeserver.mls.tree.TreeMath.leafOfNode;
import static org.homeserver.mls.tree.TreeMath.nodeOfLeaf;
import static org.homeserver.mls.tree.TreeMath.right;

import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.homeserver.mls.codec.MlsWriter;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.RatchetTree.Leaf;
import org.homeserver.mls.message.RatchetTree.Node;
import org.homeserver.mls.message.RatchetTree.Parent;

/**
 * The tree hash of every node (RFC 9420 section 7.8), computed once (or carried over from the tree
 * an edit started from, for the subtrees it did not touch), and parent hashes (section
 * 7.9), whose original sibling tree hashes are recomputed only for subtrees that hold one of the
 * parent's unmerged leaves. The tree is a {@link PublicTree}'s: padded and well formed, so every
 * unmerged leaf is a leaf of the tree.
 */
final class TreeHashes {
  /** TreeHashInput's node_type. */
  private static final int LEAF = 1;
  private static final int PARENT = 2;

  private final CipherSuite suite;
  private final List<Optional<Node>> nodes;
  private final byte[][] hashes;

  /**
   * The hashes of an earlier tree and the nodes changed since: a subtree holding no changed node,
   * at an index the earlier tree had, keeps its hashes (a node's tree hash depends only on its
   * index and its subtree's nodes).
   */
  record Reuse(TreeHashes base, BitSet changed) {
    static final Reuse NONE = new Reuse(null, new BitSet());

    boolean unchanged(int x) {
      if (base == null) {
        return false;
      }
      int span = (1 << TreeMath.level(x)) - 1;
      int first = x - span;
      int last = x + span;
      if (last >= base.hashes.length) {
        return false;
      }
      int next = changed.nextSetBit(first);
      return next < 0 || next > last;
    }
  }

  /**
   * Hashes every node of {@code nodes} (a full tree's width, leaves at even and parents at odd
   * indices), taking from {@code reuse} the hashes of subtrees that did not change.
   */
  TreeHashes(CipherSuite suite, List<Optional<Node>> nodes, int root, Reuse reuse) {
    this.suite = suite;
    this.nodes = nodes;
    this.hashes = new byte[nodes.size()][];
    hashSubtree(root, reuse);
  }

  /** The tree hash of node {@code x}; the caller must not change it. */
  byte[] treeHash(int x) {
    return hashes[x];
  }

  /**
   * The parent hash of {@code parent} with copath child {@code s}: the hash of ParentHashInput,
   * whose original_sibling_tree_hash is s's tree hash with the parent's unmerged leaves blanked and
   * removed from every unmerged-leaves list.
   */
  byte[] parentHash(Parent parent, int s) {
    byte[] originalSiblingTreeHash = treeHashWithout(s, Set.copyOf(parent.unmergedLeaves()));
    return suite.hash(new MlsWriter().opaque(parent.encryptionKey()).opaque(parent.parentHash())
        .opaque(originalSiblingTreeHash).toByteArray());
  }

  private byte[] hashSubtree(int x, Reuse reuse) {
    if (reuse.unchanged(x)) {
      int span = (1 << TreeMath.level(x)) - 1;
      System.arraycopy(reuse.base().hashes, x - span, hashes, x - span, 2 * span + 1);
      return hashes[x];
    }
    hashes[x] = isLeaf(x)
        ? leafTreeHash(x, nodes.get(x).map(n -> ((Leaf) n).leafNode()))
        : parentTreeHash(nodes.get(x).map(n -> (Parent) n), hashSubtree(left(x), reuse), hashSubtree(right(x), reuse));
    return hashes[x];
  }

  /** The tree hash of node {@code x} once the leaves {@code blanked} are blank and in no unmerged-leaves list. */
  private byte[] treeHashWithout(int x, Set<Long> blanked) {
    if (blanked.stream().noneMatch(leaf -> isInSubtree(nodeOfLeaf(leaf.intValue()), x))) {
      return hashes[x];
    }
    if (isLeaf(x)) {
      return leafTreeHash(x, Optional.empty());
    }
    Optional<Parent> parent = nodes.get(x).map(n -> (Parent) n).map(p -> new Parent(p.encryptionKey(), p.parentHash(),
        p.unmergedLeaves().stream().filter(leaf -> !blanked.contains(leaf)).toList()));
    return parentTreeHash(parent, treeHashWithout(left(x), blanked), treeHashWithout(right(x), blanked));
  }

  /** Hash(TreeHashInput) of a leaf: node_type, then LeafNodeHashInput. */
  private byte[] leafTreeHash(int x, Optional<LeafNode> leaf) {
    MlsWriter w = new MlsWriter().u8(LEAF).u32(leafOfNode(x)).optional(leaf, (l, y) -> l.encode(y));
    return suite.hash(w.toByteArray());
  }

  /** Hash(TreeHashInput) of a parent: node_type, then ParentNodeHashInput. */
  private byte[] parentTreeHash(Optional<Parent> parent, byte[] leftHash, byte[] rightHash) {
    MlsWriter w = new MlsWriter().u8(PARENT).optional(parent, (p, y) -> p.encode(y));
    return suite.hash(w.opaque(leftHash).opaque(rightHash).toByteArray());
  }
}
