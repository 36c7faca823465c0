package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.UUID;
import java.util.stream.Collectors;
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
import org.homeserver.platform.db.GroupCommit;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.errors.Fact;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.Protos;
import org.homeserver.platform.ids.ClientIdentity;
import org.jdbi.v3.core.Handle;
import org.homeserver.platform.db.Transactions;

/**
 * The Send path of hosted groups (delivery.proto, WHAT A GROUP ACCEPTS), top to bottom:
 * <ol>
 *   <li>parse: the bytes decoded with the {@code mls} codec and checked for their wire format;
 *   <li>admit: added KeyPackages and an external joiner's connections checked with the other
 *       services, before any lock;
 *   <li>one transaction, shared with the sends that arrive at the same moment ({@link GroupCommit}),
 *       each in a savepoint of its own: the caller's idempotency key claimed, the group's row locked and the
 *       message numbered in the group's log, the rules applied to what is read ({@link SendRules},
 *       which see no database), then the member map's difference, the readers, the log entry and any
 *       Welcomes written;
 *   <li>after the commit, the {@link Publisher} tells this process's Listen streams, the other
 *       processes and the notifier, in that order.
 * </ol>
 * A refusal changes nothing. Lock order: {@code V9__lock_order.sql} and {@code V10__group_log.sql}.
 */
public final class Sends implements AutoCloseable {
  /** Batches of sends committing at once, each on a connection of its own. */
  private static final int COMMITTERS = 4;
  /** Sends in one transaction at most. */
  private static final int MAX_BATCH = 32;

  private final Transactions db;
  private final GroupStore groups;
  private final GroupLogStore log;
  private final Queues queues;
  private final AddedClients addedClients;
  private final int applicationWindow;
  private final LocalClients local;
  private final Publisher publisher;
  private final Clock clock;
  private final GroupCommit<ByteString> commits;

  /**
   * @param applicationWindow how many epochs behind the current one application messages are still
   *                          accepted for
   */
  public Sends(Transactions db, GroupStore groups, GroupLogStore log, Queues queues, AddedClients addedClients,
      int applicationWindow, LocalClients local, Publisher publisher, Clock clock) {
    this.db = db;
    this.groups = groups;
    this.log = log;
    this.queues = queues;
    this.addedClients = addedClients;
    this.applicationWindow = applicationWindow;
    this.local = local;
    this.publisher = publisher;
    this.clock = clock;
    // Batches lock their groups in id order, as PostgreSQL orders bytea.
    this.commits = new GroupCommit<>(db, ByteString.unsignedLexicographicalComparator(), COMMITTERS, MAX_BATCH, "sends");
  }

  /** Stops taking sends once those in progress have committed. */
  @Override
  public void close() {
    commits.close();
  }

  /**
   * Sends one MLS message or commit bundle for {@code caller}; see delivery.proto Send for every
   * refusal. A retry under the same idempotency key returns the first answer and stores nothing.
   */
  public SendResponse send(Principal caller, SendRequest request) {
    // 1. Parse.
    SendRules.Parsed parsed = SendRules.parse(request);
    IdempotentRequest idempotency = IdempotentRequest.of(caller.clientUuid(), request.getIdempotencyKey(), request);
    // 2. Admit, before any lock: the transaction checks the sender's membership again under it.
    SendRules.Admitted admitted = admit(caller, parsed);
    // Stored to the microsecond, as PostgreSQL keeps it, so what is handed over in memory and what
    // is read back are equal.
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    // 3. One transaction, shared with the sends that arrive at the same moment (a group commit).
    Outcome outcome = commits.run(ByteString.copyFrom(parsed.groupId()), h -> {
      Optional<byte[]> earlier = idempotency.claim(h, now);
      if (earlier.isPresent()) {
        return new Outcome(replay(earlier.get()), Publisher.Published.NOTHING);
      }
      GroupStore.Numbered group = groups.lockAndNumber(h, parsed.groupId()).orElseThrow(Groups::notFound);
      List<GroupLogStore.Reader> readers = log.readers(h, parsed.groupId());
      Outcome accepted = switch (parsed) {
        case SendRules.Application a -> {
          SendRules.requireReader(readers, caller);
          SendRules.requireApplicationEpoch(group.row().epoch(), a.epoch(), applicationWindow);
          yield append(h, group, readers, caller, a.bytes(), a.epoch(), group.row().epoch(), request, now, List.of());
        }
        case SendRules.ProposalMessage p -> {
          MemberMap members = groups.members(h, p.groupId());
          long senderLeaf = SendRules.proposal(group.row(), members, caller, p);
          groups.insertProposal(h, p.groupId(), new GroupStore.AcceptedProposal(p.epoch(),
              SendRules.proposalRef(group.row(), p), p.proposal().toBytes(), senderLeaf));
          yield append(h, group, readers, caller, p.bytes(), p.epoch(), group.row().epoch(), request, now, List.of());
        }
        case SendRules.CommitMessage c -> commit(h, group, readers, caller, c, admitted, request, now);
      };
      idempotency.recordAnswer(h, accepted.response().toByteArray());
      return accepted;
    });
    // 4. After the commit.
    publisher.publish(outcome.published());
    return outcome.response();
  }

  /** The group and its members as they stand, read without a lock (before the transaction). */
  private Groups.Group current(byte[] groupId) {
    return db.withHandle(h -> new Groups.Group(groups.group(h, groupId).orElseThrow(Groups::notFound),
        groups.members(h, groupId)));
  }

  /** The answer, and what to publish once committed. */
  private record Outcome(SendResponse response, Publisher.Published published) {}

  /** The commit: its changes worked out by the rules, then written, then the log entry and the Welcomes. */
  private Outcome commit(Handle h, GroupStore.Numbered group, List<GroupLogStore.Reader> readers,
      Principal caller, SendRules.CommitMessage c, SendRules.Admitted admitted, SendRequest request, Instant now) {
    MemberMap before = groups.members(h, c.groupId());
    Map<ByteString, GroupStore.AcceptedProposal> proposals = groups.proposals(h, c.groupId()).stream()
        .collect(Collectors.toMap(p -> ByteString.copyFrom(p.ref()), p -> p));
    SendRules.Committed committed = SendRules.commit(group.row(), before, proposals, caller, c, admitted,
        addedClients::clientIdOf);
    long sequence = group.sequence();
    long epoch = group.row().epoch() + 1;
    groups.writeMemberDifference(h, c.groupId(), before, committed.after());
    groups.clearProposals(h, c.groupId());
    groups.updateEpoch(h, c.groupId(), epoch);
    groups.updateGroupInfo(h, c.groupId(), c.groupInfo().isPresent() ? c.groupInfoBytes() : null);
    // Who reads the log changes with the commit: the removed read up to it (they receive it), the
    // added from the message after it (they receive the Welcome instead), the external joiner too.
    log.endReaders(h, c.groupId(), queuesOf(SendRules.removed(before, committed.after())), sequence);
    List<UUID> joined = queuesOf(SendRules.added(before, committed.after()));
    log.addReaders(h, c.groupId(), joined, sequence);
    List<Recipient> newcomers = queuesOf(committed.welcomed()).stream().map(Recipient::of).toList();
    List<Delivery> welcomes = newcomers.isEmpty() ? List.of() : List.of(Delivery.of(new QueueContent.Welcome(
        WelcomeMessage.newBuilder().setGroupId(ByteString.copyFrom(c.groupId())).setEpoch(epoch)
            .setWelcome(ByteString.copyFrom(c.welcomeBytes())).build()), newcomers));
    Outcome outcome = append(h, group, readers, caller, c.bytes(), c.epoch(), epoch, request, now, welcomes);
    Publisher.Published published = outcome.published();
    return new Outcome(outcome.response(), new Publisher.Published(published.message(), published.queued(), joined));
  }

  /**
   * Appends the message to the group's log at the number the lock gave it, queues {@code welcomes},
   * and says what to publish: the entry for every reader but the caller.
   */
  private Outcome append(Handle h, GroupStore.Numbered group, List<GroupLogStore.Reader> readers,
      Principal caller, byte[] bytes, long messageEpoch, long groupEpoch, SendRequest request, Instant now,
      List<Delivery> welcomes) {
    GroupLogStore.LogEntry entry = new GroupLogStore.LogEntry(group.row().groupId(), group.sequence(), messageEpoch,
        caller.clientUuid(), bytes, now);
    List<GroupLogStore.Reader> recipients = readers.stream().filter(r -> !r.client().equals(caller.clientUuid()))
        .toList();
    boolean wake = !request.getNoNotification() && !recipients.isEmpty();
    log.append(h, List.of(entry), List.of(wake));
    List<Queues.Queued> queued = welcomes.isEmpty() ? List.of() : queues.queueAll(h, welcomes, now);
    return new Outcome(response(group.row().groupId(), groupEpoch, group.sequence(), now),
        new Publisher.Published(Optional.of(new Publisher.LogMessage(entry, recipients, wake)), queued, List.of()));
  }

  private List<UUID> queuesOf(Collection<String> clientIds) {
    return clientIds.stream().flatMap(id -> local.queueOf(id).stream()).distinct().toList();
  }

  /** What the other services say about a commit's added clients or an external joiner, asked before any lock. */
  private SendRules.Admitted admit(Principal caller, SendRules.Parsed parsed) {
    return switch (parsed) {
      case SendRules.ProposalMessage p when p.proposal() instanceof Proposal.Add(KeyPackage kp) ->
          new SendRules.Admitted(admitAdds(caller, p.groupId(), p.message().content().sender(), List.of(kp)), Set.of());
      case SendRules.CommitMessage c when c.message().content().sender() instanceof Sender.Member ->
          new SendRules.Admitted(admitAdds(caller, c.groupId(), c.message().content().sender(),
              SendRules.addsByValue(c.commit())), Set.of());
      // An external commit joins a client whose user is in the group or connected with a member's user.
      case SendRules.CommitMessage c when c.message().content().sender() instanceof Sender.NewMemberCommit ->
          new SendRules.Admitted(Map.of(), connectedMemberUsers(caller, c.groupId()));
      default -> SendRules.Admitted.NONE;
    };
  }

  private Map<KeyPackage, String> admitAdds(Principal caller, byte[] groupId, Sender sender, List<KeyPackage> added) {
    if (added.isEmpty()) {
      return Map.of();
    }
    Groups.Group group = current(groupId);
    SendRules.requireSenderLeaf(group.members(), sender, caller);
    return addedClients.admit(added, group.cipherSuite(), caller.userId());
  }

  private Set<String> connectedMemberUsers(Principal caller, byte[] groupId) {
    MemberMap members = current(groupId).members();
    Set<String> users = new HashSet<>(LocalClients.usersOf(members));
    users.remove(caller.userId());
    return users.isEmpty() ? Set.of() : addedClients.connectedWith(caller.userId(), users);
  }

  // --- answers ---

  private static SendResponse response(byte[] groupId, long epoch, long sequence, Instant now) {
    return SendResponse.newBuilder().setGroupId(ByteString.copyFrom(groupId)).setEpoch(epoch).setSequence(sequence)
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
