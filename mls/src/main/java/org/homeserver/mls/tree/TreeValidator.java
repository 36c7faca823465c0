package org.homeserver.mls.tree;

import static org.homeserver.mls.tree.TreeMath.isInSubtree;
import static org.homeserver.mls.tree.TreeMath.left;
import static org.homeserver.mls.tree.TreeMath.nodeOfLeaf;
import static org.homeserver.mls.tree.TreeMath.right;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.homeserver.mls.crypto.LabeledSignatures;
import org.homeserver.mls.crypto.SignatureScheme;
import org.homeserver.mls.crypto.VerificationKey;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.RatchetTree.Leaf;
import org.homeserver.mls.message.RatchetTree.Node;
import org.homeserver.mls.message.RatchetTree.Parent;

/**
 * The checks RFC 9420 section 12.4.3.1 makes of the ratchet tree a new member receives, as far as
 * they need only the tree, the group id and the GroupInfo's tree hash: the rules of
 * {@link TreeRule} in that order, stopping at the first broken one ({@link TreeRule#SHAPE} and
 * {@link TreeRule#UNMERGED_LEAVES} hold for every {@link PublicTree} already).
 *
 * <p>Not checked yet, although the LeafNode validation of section 7.3 asks for them: credentials
 * (the application's policy), each leaf's capabilities against the group's required_capabilities
 * and the credential types other members use, support of each leaf's own extensions, and lifetimes.
 */
public final class TreeValidator {
  private static final String LEAF_NODE_LABEL = "LeafNodeTBS";

  private TreeValidator() {}

  /** Validates {@code tree}, the tree of group {@code groupId}, whose GroupInfo states {@code treeHash}. */
  public static void validate(PublicTree tree, byte[] treeHash, byte[] groupId) throws InvalidTreeException {
    if (!Arrays.equals(tree.treeHash(), treeHash)) {
      throw new InvalidTreeException(TreeRule.TREE_HASH, "the tree hash is " + hex(tree.treeHash())
          + ", where the GroupInfo states " + hex(treeHash));
    }
    checkParentHashes(tree);
    checkUniqueEncryptionKeys(tree);
    checkUniqueSignatureKeys(tree);
    checkLeafSignatures(tree, groupId);
  }

  /**
   * The uniqueness rules alone ({@link TreeRule#UNIQUE_ENCRYPTION_KEY}, then
   * {@link TreeRule#UNIQUE_SIGNATURE_KEY}): what a tree that was valid still needs checked after a
   * commit whose new leaves and path were checked one by one.
   */
  public static void checkUniqueKeys(PublicTree tree) throws InvalidTreeException {
    checkUniqueEncryptionKeys(tree);
    checkUniqueSignatureKeys(tree);
  }

  /** Section 7.9.2, "top down": exactly one node below each non-blank parent chains to it. */
  private static void checkParentHashes(PublicTree tree) throws InvalidTreeException {
    for (int p = 1; p < tree.nodeWidth(); p += 2) {
      if (tree.node(p).isPresent()) {
        List<Integer> chained = nodesChainedTo(tree, p);
        if (chained.size() != 1) {
          throw new InvalidTreeException(TreeRule.PARENT_HASH, "parent node " + p
              + " is parent-hash valid with respect to "
              + (chained.isEmpty() ? "no node below it" : "nodes " + chained + ", not exactly one"));
        }
      }
    }
  }

  /**
   * The nodes D whose parent hash is valid with respect to parent node p (section 7.9.2): with C the
   * child of p above D and S the other child, D is in C's resolution, D's parent_hash is p's parent
   * hash with copath child S, and p's unmerged leaves under C are the rest of C's resolution.
   * Node p must be a non-blank parent.
   */
  static List<Integer> nodesChainedTo(PublicTree tree, int p) {
    Parent parent = (Parent) tree.node(p).orElseThrow();
    List<Integer> chained = new ArrayList<>();
    for (int c : List.of(left(p), right(p))) {
      byte[] expected = tree.parentHash(p, c == left(p) ? right(p) : left(p));
      List<Integer> resolution = tree.resolution(c);
      for (int d : resolution) {
        boolean hashMatches = parentHashOf(tree.node(d).orElseThrow())
            .filter(h -> Arrays.equals(h, expected)).isPresent();
        if (hashMatches && unmergedLeavesUnder(parent, c).equals(without(resolution, d))) {
          chained.add(d);
        }
      }
    }
    return chained;
  }

  /** The parent_hash a node carries: a parent's, or a leaf's whose source is a commit. */
  private static Optional<byte[]> parentHashOf(Node node) {
    return switch (node) {
      case Parent p -> Optional.of(p.parentHash());
      case Leaf(LeafNode leaf) when leaf.source() instanceof LeafNode.CommitSource c -> Optional.of(c.parentHash());
      case Leaf l -> Optional.empty();
    };
  }

  /** The nodes of {@code parent}'s unmerged leaves that lie under node {@code c}. */
  private static Set<Integer> unmergedLeavesUnder(Parent parent, int c) {
    return parent.unmergedLeaves().stream().map(leaf -> nodeOfLeaf(leaf.intValue()))
        .filter(x -> isInSubtree(x, c)).collect(Collectors.toSet());
  }

  private static Set<Integer> without(List<Integer> nodes, int removed) {
    Set<Integer> rest = new HashSet<>(nodes);
    rest.remove(removed);
    return rest;
  }

  /** Section 12.4.3.1 for parents, 7.3 for leaves: every non-blank node has its own encryption key. */
  private static void checkUniqueEncryptionKeys(PublicTree tree) throws InvalidTreeException {
    Map<ByteBuffer, Integer> seen = new HashMap<>();
    for (int x = 0; x < tree.nodeWidth(); x++) {
      Optional<byte[]> key = tree.node(x).map(node -> switch (node) {
        case Leaf(LeafNode leaf) -> leaf.encryptionKey();
        case Parent parent -> parent.encryptionKey();
      });
      Integer other = key.isEmpty() ? null : seen.putIfAbsent(ByteBuffer.wrap(key.get()), x);
      if (other != null) {
        throw new InvalidTreeException(TreeRule.UNIQUE_ENCRYPTION_KEY, "nodes " + other + " and " + x
            + " have the same encryption key");
      }
    }
  }

  /** Section 7.3: no two members have the same signature key. */
  private static void checkUniqueSignatureKeys(PublicTree tree) throws InvalidTreeException {
    Map<ByteBuffer, Integer> seen = new HashMap<>();
    for (int leaf = 0; leaf < tree.leafCount(); leaf++) {
      if (tree.node(nodeOfLeaf(leaf)).orElse(null) instanceof Leaf(LeafNode node)) {
        Integer other = seen.putIfAbsent(ByteBuffer.wrap(node.signatureKey()), leaf);
        if (other != null) {
          throw new InvalidTreeException(TreeRule.UNIQUE_SIGNATURE_KEY, "leaves " + other + " and " + leaf
              + " have the same signature key");
        }
      }
    }
  }

  /**
   * Section 7.3: each leaf's signature over LeafNodeTBS verifies under its signature key; update and
   * commit leaves sign the group id and their leaf index too.
   */
  private static void checkLeafSignatures(PublicTree tree, byte[] groupId) throws InvalidTreeException {
    SignatureScheme scheme = tree.suite().signatureScheme();
    for (int leaf = 0; leaf < tree.leafCount(); leaf++) {
      if (tree.node(nodeOfLeaf(leaf)).orElse(null) instanceof Leaf(LeafNode node)) {
        Optional<VerificationKey> key = scheme.publicKey(node.signatureKey());
        if (key.isEmpty()) {
          throw new InvalidTreeException(TreeRule.LEAF_SIGNATURE, "leaf " + leaf + "'s signature key is not a valid "
              + scheme + " key");
        }
        byte[] signed = node.toBeSigned(groupId, leaf);
        if (!LabeledSignatures.verifyWithLabel(key.get(), LEAF_NODE_LABEL, signed, node.signature())) {
          throw new InvalidTreeException(TreeRule.LEAF_SIGNATURE, "leaf " + leaf + "'s signature does not verify");
        }
      }
    }
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
