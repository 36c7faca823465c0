package org.homeserver.mls.group;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsWriter;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.HashReferences;
import org.homeserver.mls.crypto.LabeledSignatures;
import org.homeserver.mls.crypto.TranscriptHashes;
import org.homeserver.mls.message.AuthenticatedContent;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.ContentType;
import org.homeserver.mls.message.Extension;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.GroupContext;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.InterimTranscriptHashInput;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.message.Sender;
import org.homeserver.mls.tree.InvalidTreeException;
import org.homeserver.mls.tree.PublicTree;
import org.homeserver.mls.tree.TreeValidator;
import org.homeserver.mls.validation.KeyPackageValidator;

/**
 * A group's public state in one epoch as a server follows it (RFC 9420 sections 8 and 12) from the
 * PublicMessages it relays: the GroupContext, the interim transcript hash, the ratchet tree and the
 * proposals accepted so far in the epoch. Immutable: each accepted proposal or commit gives a new
 * state, and a refused one leaves this one as it was.
 *
 * <p>A server holds no epoch secrets, so it checks what needs only public keys: signatures, the
 * tree and its parent hashes, KeyPackages, proposal lists. It cannot check membership tags
 * (membership_key), confirmation tags (confirmation_key) or epoch authenticators, and cannot read
 * PrivateMessages; a client that accepts a commit this state refused, or the other way round, can
 * still only be told apart by those.
 */
public final class PublicGroupState {
  private static final String FRAMED_CONTENT_LABEL = "FramedContentTBS";

  /** A proposal this state accepted in the epoch, with who sent it. */
  record AcceptedProposal(Proposal proposal, Sender sender) {}

  private final CipherSuite suite;
  private final GroupContext groupContext;
  private final byte[] interimTranscriptHash;
  private final PublicTree tree;
  private final Map<String, AcceptedProposal> proposals;
  private final KeyPackageValidator keyPackages;

  PublicGroupState(CipherSuite suite, GroupContext groupContext, byte[] interimTranscriptHash, PublicTree tree,
      Map<String, AcceptedProposal> proposals, KeyPackageValidator keyPackages) {
    this.suite = suite;
    this.groupContext = groupContext;
    this.interimTranscriptHash = interimTranscriptHash;
    this.tree = tree;
    this.proposals = Map.copyOf(proposals);
    this.keyPackages = keyPackages;
  }

  /**
   * The state a joiner has after {@code groupInfo} (section 12.4.3.1): the tree ({@code ratchetTree}, or
   * else the GroupInfo's ratchet_tree extension) valid and hashing to the GroupContext's tree hash, the
   * GroupInfo signed by its signer's leaf key, and the interim transcript hash computed from the
   * confirmed one and the confirmation tag (section 8.2). The confirmation tag itself cannot be checked.
   *
   * @param keyPackages what KeyPackages of Add proposals must pass, as the operator configured it
   */
  public static PublicGroupState fromGroupInfo(GroupInfo groupInfo, Optional<RatchetTree> ratchetTree,
      KeyPackageValidator keyPackages) throws GroupStateException {
    GroupContext context = groupInfo.groupContext();
    CipherSuite suite = CipherSuite.fromCode(context.cipherSuite()).orElseThrow(() -> new GroupStateException(
        GroupRule.UNSUPPORTED, "cipher suite " + context.cipherSuite() + " is not RFC 9420's"));
    if (context.version() != MlsMessage.MLS10) {
      throw new GroupStateException(GroupRule.UNSUPPORTED, "protocol version " + context.version() + " is not mls10");
    }
    PublicTree tree;
    try {
      tree = PublicTree.of(suite, ratchetTree.isPresent() ? ratchetTree.get() : treeExtension(groupInfo));
      TreeValidator.validate(tree, context.treeHash(), context.groupId());
    } catch (InvalidTreeException e) {
      throw tree(e);
    }
    checkSignature(groupInfo, suite, tree);
    byte[] interim = TranscriptHashes.interim(suite, context.confirmedTranscriptHash(),
        new InterimTranscriptHashInput(groupInfo.confirmationTag()).toBytes());
    return new PublicGroupState(suite, context, interim, tree, Map.of(), keyPackages);
  }

  /**
   * The state as it is stored between messages ({@link StoredGroupState}): format version 1, the
   * cipher suite, the GroupContext, the interim transcript hash, the ratchet tree without its
   * trailing blanks and the proposals accepted in the epoch, each with its ProposalRef and sender.
   * Equal states have equal bytes. The KeyPackage validator is configuration and is not stored.
   */
  public byte[] toBytes() {
    return StoredGroupState.encode(this);
  }

  /**
   * The state {@link #toBytes} stored. Decoding is strict (no trailing bytes, the codec's bounds);
   * the tree's hashes are recomputed and must give the GroupContext's tree_hash, else the bytes are
   * refused as damaged. Leaf signatures and parent hashes are not verified again: they were when the
   * state was built from its GroupInfo and commits, so loading costs one pass of tree hashing.
   *
   * @param keyPackages what KeyPackages of later Add proposals must pass
   * @throws MlsDecodeException for bytes that are not a stored state of a known format version, or
   *     whose tree does not hash to the GroupContext's tree_hash
   */
  public static PublicGroupState fromBytes(byte[] stored, KeyPackageValidator keyPackages) throws MlsDecodeException {
    return StoredGroupState.decode(stored, keyPackages);
  }

  /**
   * The state stored in parts ({@link StoredGroupState}'s split form): a head of everything but the
   * tree's nodes, and each non-blank node's bytes by its index, so that a store can rewrite only the
   * nodes a commit changed ({@link #nodesChangedSince}).
   */
  public record StoredParts(byte[] head, SortedMap<Integer, byte[]> nodes) {
    /** The bytes stored in all. */
    public int size() {
      return head.length + nodes.values().stream().mapToInt(n -> n.length).sum();
    }
  }

  /** What to write over {@code before}'s stored nodes to store this state: nodes to set, indices to clear. */
  public record NodeChanges(SortedMap<Integer, byte[]> set, SortedSet<Integer> removed) {}

  public StoredParts toStoredParts() {
    return StoredGroupState.encodeParts(this);
  }

  /** {@link #toStoredParts}'s head alone, for a store that writes only the nodes that changed. */
  public byte[] storedHead() {
    return StoredGroupState.encodeHead(this);
  }

  /**
   * The nodes whose stored bytes differ between {@code before} and this state, a later one made from
   * it by proposals and commits (states share the nodes they did not change): with this state's head,
   * they turn {@code before}'s stored parts into this state's.
   */
  public NodeChanges nodesChangedSince(PublicGroupState before) {
    return StoredGroupState.changes(before, this);
  }

  /** The state {@link #toStoredParts} stored, decoded and checked as {@link #fromBytes} does. */
  public static PublicGroupState fromStoredParts(StoredParts parts, KeyPackageValidator keyPackages)
      throws MlsDecodeException {
    return StoredGroupState.decodeParts(parts, keyPackages);
  }

  public CipherSuite suite() {
    return suite;
  }

  public GroupContext groupContext() {
    return groupContext;
  }

  public long epoch() {
    return groupContext.epoch();
  }

  /** The interim transcript hash (section 8.2) the next commit's confirmed transcript hash starts from. */
  public byte[] interimTranscriptHash() {
    return interimTranscriptHash.clone();
  }

  public PublicTree tree() {
    return tree;
  }

  /** The tree as RFC 9420 sends it (a ratchet_tree extension's data): without the trailing blank nodes. */
  public RatchetTree ratchetTree() {
    return StoredGroupState.ratchetTree(tree);
  }

  /** The proposal this state accepted in the epoch under {@code proposalRef}, if any. */
  public Optional<Proposal> acceptedProposal(byte[] proposalRef) {
    return accepted(proposalRef).map(AcceptedProposal::proposal);
  }

  /**
   * Checks that {@code groupInfo} describes this state, as a joiner would rely on it (section
   * 12.4.3): its GroupContext is this state's, and it is signed by the leaf it names as signer.
   * Its confirmation tag cannot be checked; its ratchet_tree extension, if any, must hash to the
   * GroupContext's tree hash, which the joiner checks.
   */
  public void verifyGroupInfo(GroupInfo groupInfo) throws GroupStateException {
    if (!Arrays.equals(groupInfo.groupContext().toBytes(), groupContext.toBytes())) {
      throw new GroupStateException(GroupRule.FRAMING, "the GroupInfo's GroupContext is not the group's in epoch "
          + Long.toUnsignedString(epoch()));
    }
    checkSignature(groupInfo, suite, tree);
  }

  /** The number of proposals accepted in this epoch and not yet committed. */
  public int pendingProposals() {
    return proposals.size();
  }

  /**
   * Checks that {@code message} is for this group and epoch and that its signature (section 6.1)
   * verifies under its sender's key: a member's leaf key, with this state's GroupContext signed too,
   * an external sender's listed key, or for a new member the key of the leaf it brings.
   */
  public void verify(PublicMessage message) throws GroupStateException {
    FramedContent content = message.content();
    if (!Arrays.equals(content.groupId(), groupContext.groupId())) {
      throw new GroupStateException(GroupRule.FRAMING, "the message is for group "
          + HexFormat.of().formatHex(content.groupId()) + ", not this one");
    }
    if (content.epoch() != epoch()) {
      throw new GroupStateException(GroupRule.FRAMING, "the message is for epoch "
          + Long.toUnsignedString(content.epoch()) + "; the group is in epoch " + Long.toUnsignedString(epoch()));
    }
    byte[] key = signatureKey(content);
    MlsWriter tbs = new MlsWriter().u16(MlsMessage.MLS10).u16(message.wireFormat().code());
    content.encode(tbs);
    if (content.sender() instanceof Sender.Member || content.sender() instanceof Sender.NewMemberCommit) {
      groupContext.encode(tbs);
    }
    if (!LabeledSignatures.verifyWithLabel(suite.signatureScheme(), key, FRAMED_CONTENT_LABEL, tbs.toByteArray(),
        message.signature())) {
      throw new GroupStateException(GroupRule.SIGNATURE, "the " + content.contentType().name().toLowerCase(Locale.ROOT)
          + "'s signature does not verify under the key of its sender, " + content.sender());
    }
  }

  /** This state with the proposal {@code message} carries accepted for the epoch's commit (section 12.1). */
  public PublicGroupState withProposal(PublicMessage message) throws GroupStateException {
    requireType(message, ContentType.PROPOSAL);
    verify(message);
    return withAuthenticatedProposal(AuthenticatedContent.of(message));
  }

  /** The state of the next epoch, after the commit {@code message} carries (section 12.4.2). */
  public PublicGroupState withCommit(PublicMessage message) throws GroupStateException {
    requireType(message, ContentType.COMMIT);
    verify(message);
    return withAuthenticatedCommit(AuthenticatedContent.of(message));
  }

  /** {@link #withProposal} once the signature is checked. */
  PublicGroupState withAuthenticatedProposal(AuthenticatedContent proposal) throws GroupStateException {
    Proposal p = ((FramedContent.ProposalBody) proposal.content().body()).proposal();
    Sender sender = proposal.content().sender();
    new ProposalCheck(this).checkAlone(p, sender);
    Map<String, AcceptedProposal> accepted = new HashMap<>(proposals);
    accepted.put(refKey(HashReferences.proposalRef(suite, proposal.toBytes())), new AcceptedProposal(p, sender));
    return new PublicGroupState(suite, groupContext, interimTranscriptHash, tree, accepted, keyPackages);
  }

  /** {@link #withCommit} once the signature is checked. */
  PublicGroupState withAuthenticatedCommit(AuthenticatedContent commit) throws GroupStateException {
    return new CommitApplication(this).apply(commit);
  }

  Optional<AcceptedProposal> accepted(byte[] proposalRef) {
    return Optional.ofNullable(proposals.get(refKey(proposalRef)));
  }

  /** The proposals accepted in the epoch, by their ProposalRef in hex. */
  Map<String, AcceptedProposal> acceptedProposals() {
    return proposals;
  }

  KeyPackageValidator keyPackages() {
    return keyPackages;
  }

  /** The GroupInfo is signed by the leaf it names as signer. */
  private static void checkSignature(GroupInfo groupInfo, CipherSuite suite, PublicTree tree)
      throws GroupStateException {
    LeafNode signer = tree.leaf(groupInfo.signer()).orElseThrow(() -> new GroupStateException(
        GroupRule.GROUP_INFO_SIGNATURE, "the signer, leaf " + groupInfo.signer() + ", is not a member"));
    if (!LabeledSignatures.verifyWithLabel(suite.signatureScheme(), signer.signatureKey(), "GroupInfoTBS",
        groupInfo.toBeSigned(), groupInfo.signature())) {
      throw new GroupStateException(GroupRule.GROUP_INFO_SIGNATURE, "the GroupInfo's signature does not verify under"
          + " leaf " + groupInfo.signer() + "'s signature key");
    }
  }

  static GroupStateException tree(InvalidTreeException e) {
    return new GroupStateException(GroupRule.TREE, e.getMessage());
  }

  private byte[] signatureKey(FramedContent content) throws GroupStateException {
    return switch (content.sender()) {
      case Sender.Member m -> tree.leaf(m.leafIndex()).orElseThrow(() -> new GroupStateException(GroupRule.SENDER,
          "leaf " + m.leafIndex() + " is not a member")).signatureKey();
      case Sender.External e -> externalSender(e.senderIndex());
      case Sender.NewMemberProposal n -> switch (content.body()) {
        case FramedContent.ProposalBody(Proposal.Add add) -> add.keyPackage().leafNode().signatureKey();
        default -> throw new GroupStateException(GroupRule.SENDER, "a new_member_proposal sender can only add itself");
      };
      case Sender.NewMemberCommit n -> switch (content.body()) {
        case FramedContent.CommitBody(Commit(var proposals, Optional<Commit.UpdatePath> path)) when path.isPresent() ->
            path.get().leafNode().signatureKey();
        default -> throw new GroupStateException(GroupRule.SENDER,
            "a new_member_commit sender signs with the key of the leaf in its commit's UpdatePath, and there is none");
      };
    };
  }

  private byte[] externalSender(long index) throws GroupStateException {
    for (Extension e : groupContext.extensions()) {
      if (e.type() == Extension.EXTERNAL_SENDERS) {
        try {
          List<Extension.ExternalSender> senders = ((Extension.ExternalSenders) e.known().orElseThrow()).senders();
          if (index < senders.size()) {
            return senders.get((int) index).signatureKey();
          }
        } catch (MlsDecodeException bad) {
          throw new GroupStateException(GroupRule.SENDER, "the group's external_senders extension does not decode");
        }
      }
    }
    throw new GroupStateException(GroupRule.SENDER, "external sender " + index + " is not in the group's list");
  }

  private static RatchetTree treeExtension(GroupInfo groupInfo) throws GroupStateException {
    for (Extension e : groupInfo.extensions()) {
      if (e.type() == Extension.RATCHET_TREE) {
        try {
          return ((Extension.RatchetTreeExtension) e.known().orElseThrow()).tree();
        } catch (MlsDecodeException bad) {
          throw new GroupStateException(GroupRule.TREE, "the ratchet_tree extension does not decode: " + bad.getMessage());
        }
      }
    }
    throw new GroupStateException(GroupRule.TREE, "no ratchet tree: none given and no ratchet_tree extension");
  }

  private static void requireType(PublicMessage message, ContentType type) throws GroupStateException {
    if (message.content().contentType() != type) {
      throw new GroupStateException(GroupRule.FRAMING, "the message carries a "
          + message.content().contentType().name().toLowerCase(Locale.ROOT) + ", not a " + type.name().toLowerCase(Locale.ROOT));
    }
  }

  private static String refKey(byte[] ref) {
    return HexFormat.of().formatHex(ref);
  }
}
