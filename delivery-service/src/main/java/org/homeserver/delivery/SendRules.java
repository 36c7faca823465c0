package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.HashReferences;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.ContentType;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.PrivateMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.PublicMessage;
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

  record CommitMessage(PublicMessage message, Commit commit, byte[] bytes, Optional<Welcome> welcome,
                       byte[] welcomeBytes, Optional<GroupInfo> groupInfo, byte[] groupInfoBytes) implements Parsed {
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

  /** An accepted commit: the member map after it and the clients its Welcome goes to. */
  record Committed(MemberMap after, List<String> welcomed) {}

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

  /** A proposal must be for the current epoch, from the caller's own leaf; its sender leaf. */
  static long proposal(GroupStore.GroupRow group, MemberMap members, Principal caller, ProposalMessage p) {
    long senderLeaf = requireSenderLeaf(members, p.message().content().sender(), caller);
    Groups.requireEpoch(group, p.epoch());
    if (p.proposal() instanceof Proposal.ExternalInit) {
      throw malformedProposalList("ExternalInit belongs only in an external commit");
    }
    return senderLeaf;
  }

  /** The ProposalRef (RFC 9420 section 5.2) a commit names the proposal by. */
  static byte[] proposalRef(GroupStore.GroupRow group, ProposalMessage p) {
    return HashReferences.proposalRef(suiteOf(group), p.message().authenticatedContent());
  }

  // --- commits ---

  /**
   * Decides a commit for the group as read under its lock: the epoch, the sender (a member's own leaf,
   * or a joiner allowed to join), the membership changes against the proposals accepted this epoch,
   * the Welcome against the clients added and the GroupInfo against the new epoch.
   */
  static Committed commit(GroupStore.GroupRow group, MemberMap before,
      Map<ByteString, GroupStore.AcceptedProposal> proposals, Principal caller, CommitMessage c, Admitted admitted,
      Function<KeyPackage, Optional<String>> clientOfKeyPackage) {
    Groups.requireEpoch(group, c.epoch());
    Sender sender = c.message().content().sender();
    switch (sender) {
      case Sender.Member m -> requireSenderLeaf(before, m, caller);
      case Sender.NewMemberCommit n -> requireMayJoin(before, caller, admitted.connectedMemberUsers());
      default -> throw Groups.notAMember();
    }
    List<KeyPackage> added = new ArrayList<>();
    CommitChanges changes = new CommitChanges(keyPackage -> {
      added.add(keyPackage);
      // By value: admitted before the transaction. By reference: admitted when the proposal was.
      return Optional.ofNullable(admitted.addedByValue().get(keyPackage)).or(() -> clientOfKeyPackage.apply(keyPackage))
          .orElseThrow(() -> new IllegalStateException("an added KeyPackage was not admitted"));
    });
    MemberMap after;
    try {
      after = before.apply(changes.of(c.commit(), sender, caller.clientId(),
          ref -> Optional.ofNullable(proposals.get(ByteString.copyFrom(ref))).map(SendRules::proposalOf)));
    } catch (MembershipException e) {
      throw Groups.refused(e);
    }
    List<String> welcomed = checkWelcome(c, added, suiteOf(group), clientOfKeyPackage);
    c.groupInfo().ifPresent(info -> {
      if (!Arrays.equals(info.groupContext().groupId(), c.groupId()) || info.groupContext().epoch() != group.epoch() + 1) {
        throw Refusal.invalidField("commit_bundle.group_info", "the GroupInfo is not for this group at epoch "
            + (group.epoch() + 1));
      }
    });
    return new Committed(after, welcomed);
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


  private static Refusal malformedProposalList(String message) {
    return Refusal.invalid(message).with(Fact.RULE, MembershipException.Reason.INVALID_PROPOSAL_LIST.name());
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
            new CommitMessage(p, commit.commit(), bytes, Optional.empty(), new byte[0], Optional.empty(), new byte[0]);
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
        groupInfoBytes);
  }

  /** The GroupInfo in {@code bytes}, an MLSMessage; MLS_MESSAGE_MALFORMED or WIRE_FORMAT_NOT_ALLOWED if not. */
  static GroupInfo decodeGroupInfo(String fieldPrefix, byte[] bytes) {
    if (!(decode(fieldPrefix, bytes).body() instanceof GroupInfo info)) {
      throw wireFormat(fieldPrefix.substring(0, fieldPrefix.length() - 1) + " must hold a GroupInfo");
    }
    return info;
  }

  private static MlsMessage decode(String fieldPrefix, byte[] bytes) {
    try {
      return MlsMessage.decode(bytes);
    } catch (MlsDecodeException e) {
      throw Refusal.ofField(ErrorReason.MLS_MESSAGE_MALFORMED, fieldPrefix + e.field(), fieldPrefix + e.getMessage())
          .with(Fact.OFFSET, e.offset());
    }
  }

  private static Proposal proposalOf(GroupStore.AcceptedProposal accepted) {
    try {
      return MlsReader.decodeAll(accepted.proposal(), "proposal", Proposal::decode);
    } catch (MlsDecodeException e) {
      throw new IllegalStateException("a stored proposal does not decode", e);
    }
  }


  private static Refusal wireFormat(String message) {
    return Refusal.of(ErrorReason.WIRE_FORMAT_NOT_ALLOWED, message);
  }
}
