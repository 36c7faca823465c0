package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.GroupRule;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.HashReferences;
import org.homeserver.mls.group.GroupStateException;
import org.homeserver.mls.group.PublicGroupState;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.ContentType;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.PrivateMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.message.Sender;
import org.homeserver.mls.message.Welcome;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.errors.Fact;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.ClientIdentity;

/**
 * The rules of a Send (delivery.proto, WHAT A GROUP ACCEPTS), as plain functions of what the
 * {@link Sends} transaction read: they decode, decide and refuse, and never touch the database.
 */
final class SendRules {
  private SendRules() {}

  /** What a Send carries, decoded and checked for its wire format. */
  sealed interface Parsed {
    byte[] groupId();

    long epoch();
  }

  record Application(PrivateMessage message, byte[] bytes) implements Parsed {
    public byte[] groupId() {
      return message.groupId();
    }

    public long epoch() {
      return message.epoch();
    }
  }

  record ProposalMessage(PublicMessage message, Proposal proposal, byte[] bytes) implements Parsed {
    public byte[] groupId() {
      return message.content().groupId();
    }

    public long epoch() {
      return message.content().epoch();
    }
  }

  /** A commit, with what its bundle carried; {@code field} is the request field that holds it, with a dot. */
  record CommitMessage(PublicMessage message, Commit commit, byte[] bytes, Optional<Welcome> welcome,
                       byte[] welcomeBytes, Optional<GroupInfo> groupInfo, byte[] groupInfoBytes, String field)
      implements Parsed {
    public byte[] groupId() {
      return message.content().groupId();
    }

    public long epoch() {
      return message.content().epoch();
    }
  }

  /**
   * What the other services said before the transaction: the client each KeyPackage added by value
   * names, and for an external commit the members' users the joiner's user is connected with.
   */
  record Admitted(Map<KeyPackage, String> addedByValue, Set<String> connectedMemberUsers) {
    static final Admitted NONE = new Admitted(Map.of(), Set.of());
  }

  /** An accepted commit: the group's state and member map after it, and the clients its Welcome goes to. */
  record Committed(PublicGroupState state, MemberMap after, List<String> welcomed) {}

  // --- application messages and proposals ---

  /** The caller must read the group (be a member of this domain); NOT_A_MEMBER otherwise. */
  static void requireReader(List<GroupLogStore.Reader> readers, Principal caller) {
    if (readers.stream().noneMatch(r -> r.client().equals(caller.clientUuid()))) {
      throw Groups.notAMember();
    }
  }

  /** Application messages are accepted for the current epoch and {@code window} epochs behind it. */
  static void requireApplicationEpoch(long current, long epoch, int window) {
    long oldest = Math.max(0, current - window);
    if (epoch < oldest || epoch > current) {
      throw Refusal.wrongEpoch(current, "application messages are accepted for epochs " + oldest + " to "
          + current + ", not " + epoch);
    }
  }

  /**
   * A proposal must be for the current epoch, from the caller's own leaf, and one the group's public
   * state accepts; the state with it.
   */
  static PublicGroupState proposal(GroupStore.GroupRow group, GroupStates.Followed followed, Principal caller,
      ProposalMessage p) {
    requireSenderLeaf(followed.members(), p.message().content().sender(), caller);
    Groups.requireEpoch(group, p.epoch());
    try {
      return followed.state().withProposal(p.message());
    } catch (GroupStateException e) {
      throw broken(e, "mls_message.");
    }
  }

  // --- commits ---

  /**
   * Decides a commit for the group as read under its lock: the epoch, the sender (a member's own leaf,
   * or a joiner allowed to join, removing at most its own old leaf), the group's public state after
   * it, the Welcome against the clients added and the GroupInfo against the new state.
   *
   * @param membersOf who sits in each leaf of a state's tree
   * @param clientOfKeyPackage the client an admitted KeyPackage names
   */
  static Committed commit(GroupStore.GroupRow group, GroupStates.Followed followed, Principal caller,
      CommitMessage c, Admitted admitted, Function<PublicGroupState, MemberMap> membersOf,
      Function<KeyPackage, Optional<String>> clientOfKeyPackage) {
    Groups.requireEpoch(group, c.epoch());
    MemberMap before = followed.members();
    Sender sender = c.message().content().sender();
    switch (sender) {
      case Sender.Member m -> requireSenderLeaf(before, m, caller);
      case Sender.NewMemberCommit n -> {
        requireMayJoin(before, caller, admitted.connectedMemberUsers());
        requireOwnOldLeaf(before, caller, c);
      }
      default -> throw Groups.notAMember();
    }
    PublicGroupState next;
    try {
      next = followed.state().withCommit(c.message());
    } catch (GroupStateException e) {
      throw broken(e, c.field());
    }
    List<KeyPackage> added = new ArrayList<>();
    for (Commit.ProposalOrRef entry : c.commit().proposals()) {
      Optional<Proposal> proposal = switch (entry) {
        case Commit.ByValue(Proposal p) -> Optional.of(p);
        case Commit.ByReference(byte[] ref) -> followed.state().acceptedProposal(ref);
      };
      if (proposal.orElseThrow() instanceof Proposal.Add(KeyPackage keyPackage)) {
        added.add(keyPackage);
      }
    }
    // By value: admitted before the transaction. By reference: admitted when the proposal was.
    Function<KeyPackage, Optional<String>> clientOf = keyPackage ->
        Optional.ofNullable(admitted.addedByValue().get(keyPackage)).or(() -> clientOfKeyPackage.apply(keyPackage));
    List<String> welcomed = checkWelcome(c, added, suiteOf(group), clientOf);
    if (c.groupInfo().isPresent()) {
      try {
        next.verifyGroupInfo(c.groupInfo().get());
      } catch (GroupStateException e) {
        throw broken(e, "commit_bundle.group_info", "the GroupInfo is not the new epoch's: ");
      }
    }
    return new Committed(next, membersOf.apply(next), welcomed);
  }

  /**
   * An external commit may remove one leaf: the joiner's own old one (RFC 9420 section 12.4.3.2: the
   * new leaf must be acceptable as an Update of the removed one).
   */
  private static void requireOwnOldLeaf(MemberMap members, Principal caller, CommitMessage c) {
    for (Commit.ProposalOrRef entry : c.commit().proposals()) {
      if (entry instanceof Commit.ByValue(Proposal.Remove(long leaf))
          && !members.occupant(leaf).equals(Optional.of(caller.clientId()))) {
        throw Refusal.brokenRule(ErrorReason.GROUP_RULE_BROKEN, GroupRule.GROUP_RULE_PROPOSAL.name(),
            "an external commit by " + caller.clientId() + " may remove only its own old leaf, not leaf " + leaf)
                .with(Fact.FIELD, c.field() + "content.body");
      }
    }
  }

  /**
   * GROUP_RULE_BROKEN for what the group's public state refused, naming the rule and the part of the
   * message ({@code prefix}: the request field holding it) to blame; PROPOSAL_NOT_FOUND for a
   * reference to a proposal the group did not accept in the epoch (which a client can cure by
   * sending it, or committing without it).
   */
  static Refusal broken(GroupStateException e, String prefix) {
    if (e.rule() == org.homeserver.mls.group.GroupRule.PROPOSAL_REFERENCE) {
      return Refusal.ofField(ErrorReason.PROPOSAL_NOT_FOUND, prefix + "content.body", e.detail());
    }
    String part = switch (e.rule()) {
      case SIGNATURE -> "auth.signature";
      case FRAMING, UNSUPPORTED -> "content";
      case SENDER -> "content.sender";
      case PROPOSAL, PROPOSAL_REFERENCE, KEY_PACKAGE -> "content.body";
      case LEAF_NODE, PARENT_HASH -> "content.commit.path.leaf_node";
      case UPDATE_PATH, TREE -> "content.commit.path";
      case GROUP_INFO_SIGNATURE -> "group_info.signature";
    };
    return broken(e, prefix + part, "");
  }

  static Refusal broken(GroupStateException e, String field, String lead) {
    return Refusal.of(ErrorReason.GROUP_RULE_BROKEN, lead + e.getMessage())
        .with(Fact.RULE, "GROUP_RULE_" + e.rule().name()).with(Fact.DETAIL, e.detail()).with(Fact.FIELD, field);
  }

  /** The clients in {@code before} that {@code after} no longer has. */
  static Set<String> removed(MemberMap before, MemberMap after) {
    Set<String> removed = new HashSet<>();
    before.members().forEach(m -> removed.add(m.clientId()));
    after.members().forEach(m -> removed.remove(m.clientId()));
    return removed;
  }

  /** The clients in {@code after} that {@code before} did not have. */
  static Set<String> added(MemberMap before, MemberMap after) {
    return removed(after, before);
  }

  /**
   * The leaves the sender brings for itself, by the request field that holds them: an Update
   * proposal's leaf, a commit's UpdatePath leaf (a member's, or an external joiner's).
   */
  static Map<String, LeafNode> ownLeaves(Parsed parsed) {
    return switch (parsed) {
      case ProposalMessage p when p.proposal() instanceof Proposal.Update(LeafNode leaf) ->
          Map.of("mls_message.content.body.leaf_node", leaf);
      case CommitMessage c when c.commit().path().isPresent() ->
          Map.of(c.field() + "content.commit.path.leaf_node", c.commit().path().get().leafNode());
      default -> Map.of();
    };
  }

  static List<KeyPackage> addsByValue(Commit commit) {
    return commit.proposals().stream()
        .flatMap(p -> p instanceof Commit.ByValue(Proposal.Add(KeyPackage kp)) ? Stream.of(kp) : Stream.empty())
        .toList();
  }

  /**
   * The clients the Welcome names, which must be exactly those the commit adds (by KeyPackageRef);
   * WELCOME_MISMATCH otherwise.
   */
  private static List<String> checkWelcome(CommitMessage c, List<KeyPackage> added, CipherSuite suite,
      Function<KeyPackage, Optional<String>> clientOfKeyPackage) {
    if (added.isEmpty()) {
      if (c.welcome().isPresent()) {
        throw Refusal.of(ErrorReason.WELCOME_MISMATCH, "the commit adds no one, but the bundle has a Welcome");
      }
      return List.of();
    }
    Welcome welcome = c.welcome().orElseThrow(() -> Refusal.of(ErrorReason.WELCOME_MISMATCH,
        "the commit adds " + added.size() + " clients; send it in a CommitBundle with their Welcome"));
    if (welcome.cipherSuite() != suite.code()) {
      throw Refusal.of(ErrorReason.WELCOME_MISMATCH, "the Welcome is for cipher suite "
          + welcome.cipherSuite() + ", the group uses " + suite.code());
    }
    Set<ByteString> addedRefs = new HashSet<>();
    List<String> clients = new ArrayList<>();
    for (KeyPackage keyPackage : added) {
      addedRefs.add(ByteString.copyFrom(HashReferences.keyPackageRef(suite, keyPackage.toBytes())));
      clients.add(clientOfKeyPackage.apply(keyPackage).orElseThrow());
    }
    Set<ByteString> named = new HashSet<>();
    for (Welcome.EncryptedGroupSecrets secrets : welcome.secrets()) {
      ByteString ref = ByteString.copyFrom(secrets.newMember());
      if (!addedRefs.contains(ref)) {
        throw Refusal.of(ErrorReason.WELCOME_MISMATCH, "the Welcome names KeyPackage "
            + HexFormat.of().formatHex(secrets.newMember()) + ", which the commit does not add");
      }
      named.add(ref);
    }
    if (!named.equals(addedRefs)) {
      throw Refusal.of(ErrorReason.WELCOME_MISMATCH, "the Welcome names " + named.size()
          + " of the " + addedRefs.size() + " KeyPackages the commit adds");
    }
    return clients;
  }

  // --- checks ---

  private static void requireMember(MemberMap members, Principal caller) {
    if (members.leafOf(caller.clientId()).isEmpty()) {
      throw Groups.notAMember();
    }
  }

  /** The sender's leaf, which must hold the calling client; NOT_A_MEMBER otherwise. */
  static long requireSenderLeaf(MemberMap members, Sender sender, Principal caller) {
    if (sender instanceof Sender.Member(long leaf) && members.occupant(leaf).equals(
        Optional.of(caller.clientId()))) {
      return leaf;
    }
    requireMember(members, caller);
    throw Refusal.of(ErrorReason.NOT_A_MEMBER, sender instanceof Sender.Member(long leaf)
        ? "the sender leaf " + leaf + " is not the calling client's"
        : "only members send proposals and commits here, not a sender of type " + sender.getClass().getSimpleName());
  }

  /**
   * An external commit joins the calling client: allowed while its user already has a client in the
   * group (a new device, or a client rejoining after losing its state).
   */
  private static void requireMayJoin(MemberMap members, Principal caller, Set<String> connectedMembers) {
    boolean allowed = members.members().stream().anyMatch(m -> ClientIdentity.parseClientId(m.clientId())
        .map(ClientIdentity::userId)
        .filter(user -> user.equals(caller.userId()) || connectedMembers.contains(user))
        .isPresent());
    if (!allowed) {
      throw Refusal.of(ErrorReason.ADD_NOT_ALLOWED, "an external commit may join only a group in which the"
          + " caller's user, or a user it is connected with, has a client").with(Fact.CLIENT_ID, caller.clientId());
    }
  }


  private static CipherSuite suiteOf(GroupStore.GroupRow group) {
    return CipherSuite.fromCode(group.cipherSuite()).orElseThrow(() -> new IllegalStateException(
        "group with unknown cipher suite " + group.cipherSuite()));
  }

  // --- decoding ---

  static Parsed parse(SendRequest request) {
    return switch (request.getContentCase()) {
      case MLS_MESSAGE -> parseMessage(request.getMlsMessage().toByteArray());
      case COMMIT_BUNDLE -> parseBundle(request);
      case CONTENT_NOT_SET -> throw new IllegalStateException("the request rules require a content");
    };
  }

  private static Parsed parseMessage(byte[] bytes) {
    MlsMessage message = decode("", bytes);
    return switch (message.body()) {
      case PrivateMessage p when p.contentType() == ContentType.APPLICATION -> new Application(p, bytes);
      case PrivateMessage p -> throw wireFormat("a " + p.contentType().name().toLowerCase()
          + " must be sent as a PublicMessage, so the server can follow the group's membership");
      case PublicMessage p -> switch (p.content().body()) {
        case FramedContent.Application a -> throw wireFormat("application messages must be sent as PrivateMessage");
        case FramedContent.ProposalBody proposal -> new ProposalMessage(p, proposal.proposal(), bytes);
        case FramedContent.CommitBody commit ->
            new CommitMessage(p, commit.commit(), bytes, Optional.empty(), new byte[0], Optional.empty(), new byte[0],
                "mls_message.");
      };
      default -> throw wireFormat("a " + message.wireFormat() + " is sent only inside a CommitBundle or CreateGroup");
    };
  }

  private static Parsed parseBundle(SendRequest request) {
    var bundle = request.getCommitBundle();
    byte[] commitBytes = bundle.getCommit().toByteArray();
    if (!(parseMessage(commitBytes) instanceof CommitMessage commit)) {
      throw wireFormat("commit_bundle.commit must hold a commit");
    }
    byte[] welcomeBytes = bundle.getWelcome().toByteArray();
    Optional<Welcome> welcome = Optional.empty();
    if (welcomeBytes.length > 0) {
      if (!(decode("commit_bundle.welcome.", welcomeBytes).body() instanceof Welcome w)) {
        throw wireFormat("commit_bundle.welcome must hold a Welcome");
      }
      welcome = Optional.of(w);
    }
    byte[] groupInfoBytes = bundle.getGroupInfo().toByteArray();
    Optional<GroupInfo> groupInfo = Optional.empty();
    if (groupInfoBytes.length > 0) {
      groupInfo = Optional.of(decodeGroupInfo("commit_bundle.group_info.", groupInfoBytes));
    }
    return new CommitMessage(commit.message(), commit.commit(), commitBytes, welcome, welcomeBytes, groupInfo,
        groupInfoBytes, "commit_bundle.commit.");
  }

  /** The GroupInfo in {@code bytes}, an MLSMessage; MLS_MESSAGE_MALFORMED or WIRE_FORMAT_NOT_ALLOWED if not. */
  static GroupInfo decodeGroupInfo(String fieldPrefix, byte[] bytes) {
    if (!(decode(fieldPrefix, bytes).body() instanceof GroupInfo info)) {
      throw wireFormat(fieldPrefix.substring(0, fieldPrefix.length() - 1) + " must hold a GroupInfo");
    }
    return info;
  }

  /** The ratchet tree in {@code bytes} (a ratchet_tree extension's data); MLS_MESSAGE_MALFORMED if it does not decode. */
  static RatchetTree decodeTree(String field, byte[] bytes) {
    try {
      return MlsReader.decodeAll(bytes, field, RatchetTree::decode);
    } catch (MlsDecodeException e) {
      throw Refusal.ofField(ErrorReason.MLS_MESSAGE_MALFORMED, e.field(), e.getMessage()).with(Fact.OFFSET, e.offset());
    }
  }

  private static MlsMessage decode(String fieldPrefix, byte[] bytes) {
    try {
      return MlsMessage.decode(bytes);
    } catch (MlsDecodeException e) {
      throw Refusal.ofField(ErrorReason.MLS_MESSAGE_MALFORMED, fieldPrefix + e.field(), fieldPrefix + e.getMessage())
          .with(Fact.OFFSET, e.offset());
    }
  }

  private static Refusal wireFormat(String message) {
    return Refusal.of(ErrorReason.WIRE_FORMAT_NOT_ALLOWED, message);
  }
}
