package org.homeserver.mls.group;

import static org.homeserver.mls.tree.TreeMath.directPath;
import static org.homeserver.mls.tree.TreeMath.nodeOfLeaf;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.message.RatchetTree.Leaf;
import org.homeserver.mls.message.RatchetTree.Node;
import org.homeserver.mls.message.RatchetTree.Parent;
import org.homeserver.mls.tree.InvalidTreeException;
import org.homeserver.mls.tree.PublicTree;
import org.homeserver.mls.tree.TreeMath;

/**
 * The changes proposals and an UpdatePath make to a ratchet tree (RFC 9420 sections 7.7, 7.5 and
 * 12.1), on a copy of a {@link PublicTree}'s padded nodes; {@link #toTree} truncates and pads again.
 * Public for test clients that build commits as a member would.
 */
public final class TreeEdit {
  private final PublicTree before;
  private final List<Optional<Node>> nodes;
  private int leafCount;
  /** The nodes set since the edit began, so that the new tree rehashes only the subtrees holding them. */
  private final BitSet changed = new BitSet();

  public TreeEdit(PublicTree tree) {
    this.before = tree;
    this.nodes = new ArrayList<>();
    for (int x = 0; x < tree.nodeWidth(); x++) {
      nodes.add(tree.node(x));
    }
    this.leafCount = tree.leafCount();
  }

  public int leafCount() {
    return leafCount;
  }

  public Optional<LeafNode> leaf(long leafIndex) {
    return leafIndex < leafCount ? nodes.get(nodeOfLeaf((int) leafIndex)).map(n -> ((Leaf) n).leafNode())
        : Optional.empty();
  }

  /** Update (section 12.1.2): the sender's new leaf, its direct path blanked. */
  public void update(long leafIndex, LeafNode leaf) {
    int x = nodeOfLeaf((int) leafIndex);
    change(x, Optional.of(new Leaf(leaf)));
    blankDirectPath(x);
  }

  /** Remove (section 12.1.3): the leaf and its direct path blanked; the tree is truncated later. */
  public void remove(long leafIndex) {
    int x = nodeOfLeaf((int) leafIndex);
    change(x, Optional.empty());
    blankDirectPath(x);
  }

  /**
   * Add (section 12.1.1): the new leaf into the leftmost blank leaf, or a new one to the right with
   * the tree doubled; it becomes an unmerged leaf of every non-blank parent above it. Returns its index.
   */
  public int add(LeafNode leaf) {
    int leafIndex = 0;
    while (leafIndex < leafCount && nodes.get(nodeOfLeaf(leafIndex)).isPresent()) {
      leafIndex++;
    }
    if (leafIndex == leafCount) {
      nodes.addAll(Collections.nCopies(TreeMath.nodeWidth(leafCount * 2) - nodes.size(), Optional.empty()));
      leafCount *= 2;
    }
    int x = nodeOfLeaf(leafIndex);
    change(x, Optional.of(new Leaf(leaf)));
    for (int p : directPath(x, leafCount)) {
      if (nodes.get(p).orElse(null) instanceof Parent parent) {
        List<Long> unmerged = new ArrayList<>(parent.unmergedLeaves());
        unmerged.add((long) leafIndex);
        change(p, Optional.of(new Parent(parent.encryptionKey(), parent.parentHash(), unmerged)));
      }
    }
    return leafIndex;
  }

  /** Sets node {@code x}: a committer's leaf or one of its new path nodes (section 7.5). */
  public void set(int x, Node node) {
    change(x, Optional.of(node));
  }

  public void blankDirectPath(int x) {
    directPath(x, leafCount).forEach(p -> change(p, Optional.empty()));
  }

  private void change(int x, Optional<? extends Node> node) {
    nodes.set(x, node.map(Node.class::cast));
    changed.set(x);
  }

  /** The tree as it now is, truncated after its last non-blank leaf (section 7.8's full tree again). */
  public PublicTree toTree() throws InvalidTreeException {
    int last = nodes.size() - 1;
    while (last > 0 && nodes.get(last).isEmpty()) {
      last--;
    }
    return PublicTree.edited(before, new RatchetTree(List.copyOf(nodes.subList(0, last + 1))), changed);
  }
}
