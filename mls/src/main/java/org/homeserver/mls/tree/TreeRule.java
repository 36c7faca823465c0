package org.homeserver.mls.tree;

/**
 * The rules a received ratchet tree must pass (RFC 9420 sections 7.3, 7.9.2, 12.4.3.1 and 12.4.3.3),
 * each with its own error.
 */
public enum TreeRule {
  /** The tree is not empty, its last node is not blank, leaves sit at even indices and parents at odd ones. */
  SHAPE,
  /**
   * Every unmerged leaf of a parent node is a non-blank leaf below it, and every non-blank node
   * between the two lists it as unmerged too.
   */
  UNMERGED_LEAVES,
  /** The root's tree hash is the one the group's GroupInfo states. */
  TREE_HASH,
  /** Every non-blank parent node is parent-hash valid: exactly one node below it chains to it. */
  PARENT_HASH,
  /** No encryption key appears in two nodes. */
  UNIQUE_ENCRYPTION_KEY,
  /** No signature key appears in two leaves. */
  UNIQUE_SIGNATURE_KEY,
  /** Every leaf's signature key is valid for the suite and its signature (LeafNodeTBS) verifies. */
  LEAF_SIGNATURE
}
