package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.GroupMessage;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.api.delivery.v1.SendResponse;
import org.homeserver.api.delivery.v1.WelcomeMessage;
import org.homeserver.api.notifier.v1.NotificationPolicy;
import org.homeserver.delivery.Groups.Committed;
import org.homeserver.delivery.Groups.Group;
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
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.errors.Fact;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.Protos;
import org.homeserver.platform.ids.ClientIdentity;
import org.jdbi.v3.core.Handle;
import org.homeserver.platform.db.Transactions;

/**
 * The Send path of hosted groups (delivery.proto, WHAT A GROUP ACCEPTS): the bytes are decoded with
 * the {@code mls} codec and checked, then in one transaction the group is locked, the message
 * accepted against its epoch and member map, and queued for every other member; the queues are
 * signalled after the commit. A refusal changes nothing. Lock order: {@code V9__lock_order.sql}.
 */
public final class Messages {
  private final Transactions db;
  private final Groups groups;
  private final Queues queues;
  private final AddedClients addedClients;
  private final int applicationWindow;
  private final LocalClients local;
  private final Clock clock;

  /**
   * @param applicationWindow how many epochs behind the current one application messages are still
   *                          accepted for
   */
  public Messages(Transactions db, Groups groups, Queues queues, AddedClients addedClients, int applicationWindow,
      LocalClients local, Clock clock) {
    this.db = db;
    this.groups = groups;
    this.queues = queues;
    this.addedClients = addedClients;
    this.applicationWindow = applicationWindow;
    this.local = local;
    this.clock = clock;
  }

  /** What a Send carries, decoded and checked for its wire format. */
  private sealed interface Parsed {
    byte[] groupId();

    long epoch();
  }

  private record Application(PrivateMessage message, byte[] bytes) implements Parsed {
    public byte[] groupId() {
      return message.groupId();
    }

    public long epoch() {
      return message.epoch();
    }
  }

  private record ProposalMessage(PublicMessage message, Proposal proposal, byte[] bytes) implements Parsed {
    public byte[] groupId() {
      return message.content().groupId();
    }

    public long epoch() {
      return message.content().epoch();
    }
  }

  private record CommitMessage(PublicMessage message, Commit commit, byte[] bytes, Optional<Welcome> welcome,
                               byte[] welcomeBytes, Optional<GroupInfo> groupInfo, byte[] groupInfoBytes)
      implements Parsed {
    public byte[] groupId() {
      return message.content().groupId();
    }

    public long epoch() {
      return message.content().epoch();
    }
  }

  /** The answer and the queue positions to signal once the transaction has committed. */
  private record Outcome(SendResponse response, List<Queues.Queued> queued) {}

  /**
   * Sends one MLS message or commit bundle for {@code caller}; see delivery.proto Send for every
   * refusal. A retry under the same idempotency key returns the first answer and queues nothing.
   */
  public SendResponse send(Principal caller, SendRequest request) {
    Parsed parsed = parse(request);
    IdempotentRequest idempotency = IdempotentRequest.of(caller.clientUuid(), request.getIdempotencyKey(), request);
    // Added KeyPackages are checked before any lock (signatures, the auth service), by a sender
    // that is a member at the moment; the transaction checks the membership again under the lock.
    Map<KeyPackage, String> admitted = switch (parsed) {
      case ProposalMessage p when p.proposal() instanceof Proposal.Add(KeyPackage kp) ->
          admit(caller, p.groupId(), p.message().content().sender(), List.of(kp));
      case CommitMessage c when c.message().content().sender() instanceof Sender.Member ->
          admit(caller, c.groupId(), c.message().content().sender(), addsByValue(c.commit()));
      default -> Map.of();
    };
    // An external commit joins a client whose user is in the group or connected with a member's user.
    Set<String> connectedMembers = parsed instanceof CommitMessage c
        && c.message().content().sender() instanceof Sender.NewMemberCommit
        ? connectedMemberUsers(caller, c.groupId()) : Set.of();
    Instant now = clock.instant();
    Outcome outcome = db.inTransaction(h -> {
      Optional<byte[]> earlier = idempotency.claim(h, now);
      if (earlier.isPresent()) {
        return new Outcome(replay(earlier.get()), List.of());
      }
      Outcome accepted = switch (parsed) {
        case Application a -> application(h, caller, a, now);
        case ProposalMessage p -> proposal(h, caller, p, now);
        case CommitMessage c -> commit(h, caller, c, admitted, connectedMembers, now);
      };
      idempotency.recordAnswer(h, accepted.response().toByteArray());
      return accepted;
    });
    queues.signal(request.getNoNotification() ? silenced(outcome.queued()) : outcome.queued());
    return outcome.response();
  }

  /** The sender's no_notification: its message wakes no one; a Welcome in the bundle still does. */
  private static List<Queues.Queued> silenced(List<Queues.Queued> queued) {
    return queued.stream().map(q -> q.entry().hasMessage() ? q.silenced() : q).toList();
  }

  private Outcome application(Handle h, Principal caller, Application a, Instant now) {
    Groups.Locked locked = groups.lockForMessage(h, a.groupId());
    Group group = locked.group();
    requireMember(group, caller);
    long oldest = Math.max(0, group.epoch() - applicationWindow);
    if (a.epoch() < oldest || a.epoch() > group.epoch()) {
      throw Refusal.wrongEpoch(group.epoch(), "application messages are accepted for epochs " + oldest + " to "
          + group.epoch() + ", not " + a.epoch());
    }
    return fanOut(h, locked, caller, a.bytes(), a.epoch(), now);
  }

  private Outcome proposal(Handle h, Principal caller, ProposalMessage p, Instant now) {
    Groups.Locked locked = groups.lockForMessage(h, p.groupId());
    Group group = locked.group();
    long senderLeaf = requireSenderLeaf(group, p.message().content().sender(), caller);
    if (p.epoch() != group.epoch()) {
      throw Refusal.wrongEpoch(group.epoch(), "the group is at epoch " + group.epoch() + ", not " + p.epoch());
    }
    if (p.proposal() instanceof Proposal.ExternalInit) {
      throw malformedProposalList("ExternalInit belongs only in an external commit");
    }
    CipherSuite suite = suiteOf(group);
    byte[] ref = HashReferences.proposalRef(suite, p.message().authenticatedContent());
    groups.recordProposal(h, p.groupId(), p.epoch(), ref, p.proposal().toBytes(), senderLeaf);
    return fanOut(h, locked, caller, p.bytes(), p.epoch(), now);
  }

  private Map<KeyPackage, String> admit(Principal caller, byte[] groupId, Sender sender, List<KeyPackage> added) {
    if (added.isEmpty()) {
      return Map.of();
    }
    Group group = groups.group(groupId);
    requireSenderLeaf(group, sender, caller);
    return addedClients.admit(added, group.cipherSuite(), caller.userId());
  }

  private Set<String> connectedMemberUsers(Principal caller, byte[] groupId) {
    Set<String> users = new HashSet<>(LocalClients.usersOf(groups.group(groupId).members()));
    users.remove(caller.userId());
    return users.isEmpty() ? Set.of() : addedClients.connectedWith(caller.userId(), users);
  }

  private Outcome commit(Handle h, Principal caller, CommitMessage c, Map<KeyPackage, String> admitted,
      Set<String> connectedMembers, Instant now) {
    List<KeyPackage> added = new ArrayList<>();
    CommitChanges changes = new CommitChanges(keyPackage -> {
      added.add(keyPackage);
      // By value: admitted before the transaction. By reference: admitted when the proposal was.
      return Optional.ofNullable(admitted.get(keyPackage)).or(() -> addedClients.clientIdOf(keyPackage))
          .orElseThrow(() -> new IllegalStateException("an added KeyPackage was not admitted"));
    });
    Sender sender = c.message().content().sender();
    Committed committed = groups.commit(h, c.groupId(), c.epoch(), (before, accepted) -> {
      switch (sender) {
        case Sender.Member m -> requireSenderLeaf(before, m, caller);
        case Sender.NewMemberCommit n -> requireMayJoin(before, caller, connectedMembers);
        default -> throw Groups.notAMember();
      }
      return changes.of(c.commit(), sender, caller.clientId(), ref -> accepted.apply(ref).map(Messages::proposalOf));
    });
    List<String> welcomed = checkWelcome(c, added, suiteOf(committed.group()));
    c.groupInfo().ifPresent(info -> {
      if (!Arrays.equals(info.groupContext().groupId(), c.groupId()) || info.groupContext().epoch() != committed.epoch()) {
        throw Refusal.invalidField("commit_bundle.group_info", "the GroupInfo is not for this group at epoch "
            + committed.epoch());
      }
      groups.setGroupInfo(h, c.groupId(), c.groupInfoBytes());
    });
    // The members before the commit hear of it, the removed ones included; the added ones get the Welcome.
    List<Delivery> deliveries = new ArrayList<>();
    recipients(committed.before(), groups.policies(h, c.groupId()), groups.purgedMembers(h, c.groupId()), caller)
        .ifPresent(recipients ->
        deliveries.add(new Delivery(new QueueContent.Message(groupMessage(c.groupId(), c.epoch(), c.bytes())),
            recipients, Optional.empty())));
    List<Recipient> newcomers = welcomed.stream().flatMap(id -> local.queueOf(id).stream()).map(Recipient::of)
        .toList();
    if (!newcomers.isEmpty()) {
      WelcomeMessage welcome = WelcomeMessage.newBuilder().setGroupId(ByteString.copyFrom(c.groupId()))
          .setEpoch(committed.epoch()).setWelcome(ByteString.copyFrom(c.welcomeBytes())).build();
      deliveries.add(Delivery.of(new QueueContent.Welcome(welcome), newcomers));
    }
    return new Outcome(response(c.groupId(), committed.epoch(), now), queues.queueAll(h, deliveries, now));
  }

  /**
   * The clients the Welcome names, which must be exactly those the commit adds (by KeyPackageRef);
   * WELCOME_MISMATCH otherwise.
   */
  private List<String> checkWelcome(CommitMessage c, List<KeyPackage> added, CipherSuite suite) {
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
      clients.add(addedClients.clientIdOf(keyPackage).orElseThrow());
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

  /** Queues {@code bytes} for every member but the caller; the answer names the group's epoch. */
  private Outcome fanOut(Handle h, Groups.Locked locked, Principal caller, byte[] bytes, long messageEpoch,
      Instant now) {
    Group group = locked.group();
    List<Queues.Queued> queued = recipients(group.members(), locked.policies(), locked.purged(), caller)
        .map(recipients -> queues.queueAll(h, List.of(new Delivery(new QueueContent.Message(
            groupMessage(group.groupId(), messageEpoch, bytes)), recipients, Optional.empty())), now))
        .orElse(List.of());
    return new Outcome(response(group.groupId(), group.epoch(), now), queued);
  }

  /**
   * The local members of {@code members} other than the caller and purged clients, each with its
   * policy for the group; empty if there are none. Members of other domains are reached through
   * federation, not here.
   */
  private Optional<List<Recipient>> recipients(MemberMap members, Map<String, byte[]> policies, Set<String> purged,
      Principal caller) {
    List<Recipient> recipients = new ArrayList<>();
    for (MemberMap.Member member : members.members()) {
      if (member.clientId().equals(caller.clientId()) || purged.contains(member.clientId())) {
        continue;
      }
      local.queueOf(member.clientId()).ifPresent(uuid -> recipients.add(
          new Recipient(uuid, Optional.ofNullable(policies.get(member.clientId())).map(Messages::policy))));
    }
    return recipients.isEmpty() ? Optional.empty() : Optional.of(recipients);
  }

  private static NotificationPolicy policy(byte[] stored) {
    try {
      return NotificationPolicy.parseFrom(stored);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored notification policy does not parse", e);
    }
  }

  // --- checks ---

  private static void requireMember(Group group, Principal caller) {
    if (group.members().leafOf(caller.clientId()).isEmpty()) {
      throw Groups.notAMember();
    }
  }

  /** The sender's leaf, which must hold the calling client; NOT_A_MEMBER otherwise. */
  private static long requireSenderLeaf(Group group, Sender sender, Principal caller) {
    if (sender instanceof Sender.Member(long leaf) && group.members().occupant(leaf).equals(
        Optional.of(caller.clientId()))) {
      return leaf;
    }
    requireMember(group, caller);
    throw Refusal.of(ErrorReason.NOT_A_MEMBER, sender instanceof Sender.Member(long leaf)
        ? "the sender leaf " + leaf + " is not the calling client's"
        : "only members send proposals and commits here, not a sender of type " + sender.getClass().getSimpleName());
  }

  /**
   * An external commit joins the calling client: allowed while its user already has a client in the
   * group (a new device, or a client rejoining after losing its state).
   */
  private static void requireMayJoin(Group group, Principal caller, Set<String> connectedMembers) {
    boolean allowed = group.members().members().stream().anyMatch(m -> ClientIdentity.parseClientId(m.clientId())
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

  private static CipherSuite suiteOf(Group group) {
    return CipherSuite.fromCode(group.cipherSuite()).orElseThrow(() -> new IllegalStateException(
        "group with unknown cipher suite " + group.cipherSuite()));
  }

  // --- decoding ---

  private static Parsed parse(SendRequest request) {
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

  private static List<KeyPackage> addsByValue(Commit commit) {
    return commit.proposals().stream()
        .flatMap(p -> p instanceof Commit.ByValue(Proposal.Add(KeyPackage kp)) ? Stream.of(kp) : Stream.empty())
        .toList();
  }

  private static Refusal wireFormat(String message) {
    return Refusal.of(ErrorReason.WIRE_FORMAT_NOT_ALLOWED, message);
  }

  // --- answers ---

  private static GroupMessage groupMessage(byte[] groupId, long epoch, byte[] bytes) {
    return GroupMessage.newBuilder().setGroupId(ByteString.copyFrom(groupId)).setEpoch(epoch)
        .setMlsMessage(ByteString.copyFrom(bytes)).build();
  }

  private static SendResponse response(byte[] groupId, long epoch, Instant now) {
    return SendResponse.newBuilder().setGroupId(ByteString.copyFrom(groupId)).setEpoch(epoch)
        .setAcceptedAt(Protos.timestamp(now)).build();
  }

  private static SendResponse replay(byte[] answer) {
    try {
      return SendResponse.parseFrom(answer);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored Send answer does not parse", e);
    }
  }
}
