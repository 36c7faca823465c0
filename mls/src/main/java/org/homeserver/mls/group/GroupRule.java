package org.homeserver.mls.group;

/**
 * The rules a server-side {@link PublicGroupState} holds a GroupInfo, a proposal or a commit to
 * (RFC 9420 sections 6, 7.3, 7.9.2, 12.1 to 12.4), each with its own error.
 */
public enum GroupRule {
  /** The GroupInfo's signer is a member and its signature (GroupInfoTBS) verifies under the signer's leaf key. */
  GROUP_INFO_SIGNATURE,
  /** The ratchet tree passes {@link org.homeserver.mls.tree.TreeValidator}; the tree rule is named too. */
  TREE,
  /** A message is for this group, in this epoch, sent as a PublicMessage. */
  FRAMING,
  /** The sender is a member (non-blank leaf), a listed external sender, or a new member adding itself. */
  SENDER,
  /** The FramedContent's signature (FramedContentTBS, with the GroupContext for members) verifies. */
  SIGNATURE,
  /** A proposal by reference names a proposal this state accepted in the epoch. */
  PROPOSAL_REFERENCE,
  /** Each proposal is valid alone (section 12.1) and the commit's list of them is valid (section 12.2). */
  PROPOSAL,
  /** An added KeyPackage is valid (section 10.1); the KeyPackage rule is named too. */
  KEY_PACKAGE,
  /** A leaf node from an Update or an UpdatePath has the right source and its signature verifies (section 7.3). */
  LEAF_NODE,
  /** The commit has an UpdatePath where section 12.4 requires one, of the committer's filtered direct path's length. */
  UPDATE_PATH,
  /** The committer's new leaf chains to its new path by parent hashes (section 7.9.2). */
  PARENT_HASH,
  /** What this state does not follow yet: ReInit, custom proposals, unknown cipher suites and versions. */
  UNSUPPORTED
}
