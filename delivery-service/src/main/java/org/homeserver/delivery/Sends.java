package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.api.delivery.v1.SendResponse;
import org.homeserver.api.delivery.v1.WelcomeMessage;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.Sender;
import org.homeserver.mls.message.Welcome;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.db.GroupCommit;
import org.homeserver.platform.db.IdempotencyRecords;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.db.Transactions;
import org.homeserver.platform.grpc.Protos;
import org.homeserver.platform.ids.ClientIdentity;
import org.jdbi.v3.core.Handle;

/**
 * The Send path of hosted groups (delivery.proto, WHAT A GROUP ACCEPTS), top to bottom:
 * <ol>
 *   <li>parse: the bytes decoded with the {@code mls} codec and checked for their wire format;
 *   <li>admit: the leaves the sender brings for itself and added KeyPackages checked with the AS,
 *       an external joiner's connections with the directory, before any lock;
 *   <li>one transaction, shared with the sends that arrive at the same moment ({@link GroupCommit}):
 *       the caller's idempotency key claimed, the group's row locked and the message numbered in the
 *       group's log, the rules applied to what is read ({@link SendRules}, which see no database; a
 *       proposal or commit is applied to the group's public state, {@link GroupStates}), then the
 *       new state, the member map's difference, the readers, the log entry and any Welcomes written.
 *       Application messages, nearly all of the traffic, go through it a batch at a time with one
 *       statement per kind of row ({@link #appendApplications}); a proposal or a commit runs its own
 *       statements, in a savepoint of its own;
 *   <li>after the commit, before the callers are answered, the committer hands what the batch
 *       accepted to the {@link Publisher}, in the batch's order (so one group's messages in the order
 *       of its log), which tells this process's Listen streams, the other processes and the
 *       notifier, in that order.
 * </ol>
 * A refusal changes nothing. Lock order: {@code V9__lock_order.sql} and {@code V10__group_log.sql}.
 */
public final class Sends implements AutoCloseable {
  /** Batches of application messages committing at once, each on a connection of its own. */
  private static final int APPLICATION_COMMITTERS = 3;
  /** Application messages in one transaction at most. */
  private static final int MAX_APPLICATION_BATCH = 64;
  /** Batches of proposals and commits committing at once. */
  private static final int HANDSHAKE_COMMITTERS = 2;
  /** Proposals and commits in one transaction at most. */
  private static final int MAX_HANDSHAKE_BATCH = 16;

  private final Transactions db;
  private final GroupStore groups;
  private final GroupLogStore log;
  private final Queues queues;
  private final AddedClients addedClients;
  private final LeafCredentials credentials;
  private final GroupStates states;
  private final int applicationWindow;
  private final LocalClients local;
  private final Publisher publisher;
  private final Clock clock;
  private final FederationStore federation;
  private final FanOut fanOut;
  private final FollowedGroups followedGroups;
  private final GroupCommit<ApplicationSend, Outcome> applications;
  private final GroupCommit<GroupCommit.Unit<ByteString, Outcome>, Outcome> handshakes;

  /**
   * @param applicationWindow how many epochs behind the current one application messages are still
   *                          accepted for
   */
  Sends(Transactions db, GroupStore groups, GroupStates states, GroupLogStore log, Queues queues,
      AddedClients addedClients, LeafCredentials credentials, int applicationWindow, LocalClients local,
      Publisher publisher, FederationStore federation, FanOut fanOut, FollowedGroups followedGroups, Clock clock) {
    this.federation = federation;
    this.fanOut = fanOut;
    this.followedGroups = followedGroups;
    this.states = states;
    this.credentials = credentials;
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
    Comparator<ByteString> byGroup = ByteString.unsignedLexicographicalComparator();
    // 4. After the commit, by the committer, in the order of the batch.
    GroupCommit.Committed<Outcome> publish = outcomes -> outcomes.forEach(o -> {
      publisher.publish(o.published());
      if (o.federated()) {
        fanOut.poke(o.response().getGroupId().toByteArray());
      }
    });
    // A group's sends share a lane: its batches commit, and are published, one after the other.
    this.applications = new GroupCommit<>(db, send -> send.group().hashCode(),
        Comparator.comparing(ApplicationSend::group, byGroup), this::appendApplications, publish,
        APPLICATION_COMMITTERS, MAX_APPLICATION_BATCH, "applications");
    this.handshakes = GroupCommit.ofUnits(db, byGroup, publish, HANDSHAKE_COMMITTERS, MAX_HANDSHAKE_BATCH,
        "handshakes");
  }

  /** Stops taking sends once those in progress have committed. */
  @Override
  public void close() {
    applications.close();
    handshakes.close();
  }

  /**
   * Sends one MLS message or commit bundle for {@code caller}; see delivery.proto Send for every
   * refusal. A retry under the same idempotency key returns the first answer and stores nothing.
   */
  public SendResponse send(Principal caller, SendRequest request) {
    // 1. Parse.
    SendRules.Parsed parsed = SendRules.parse(request);
    IdempotentRequest idempotency = IdempotentRequest.of(caller.clientUuid(), request.getIdempotencyKey(), request);
    boolean wake = !request.getNoNotification();
    // 2. Admit, before any lock: the transaction checks the sender's membership again under it.
    SendRules.Admitted admitted = admit(caller, parsed);
    // 3. One transaction, shared with the sends that arrive at the same moment (a group commit);
    // 4. published by the committer once committed.
    ByteString group = ByteString.copyFrom(parsed.groupId());
    try {
      Outcome outcome = switch (parsed) {
        case SendRules.Application a -> applications.run(new ApplicationSend(group, caller, a, idempotency, wake));
        case SendRules.ProposalMessage p -> handshakes.run(new GroupCommit.Unit<>(group, h -> claimed(h, idempotency,
            now -> proposal(h, caller, p, wake, now))));
        case SendRules.CommitMessage c -> handshakes.run(new GroupCommit.Unit<>(group, h -> claimed(h, idempotency,
            now -> commit(h, caller, c, admitted, wake, now))));
      };
      return outcome.response();
    } catch (FollowedGroup followed) {
      // The group is another homeserver's: its hub decides (the adds were checked above, here).
      return followedGroups.relaySend(caller, followed.hub(), request);
    }
  }

  /** Thrown under a followed group's row lock, which the throw gives back: the send goes to the hub. */
  static final class FollowedGroup extends RuntimeException {
    private final String hub;

    FollowedGroup(String hub) {
      super("the group is hosted by " + hub, null, false, false);
      this.hub = hub;
    }

    String hub() {
      return hub;
    }
  }

  /** The group's row as locked for a send: a followed group's send is the hub's to accept. */
  private static GroupStore.Numbered hosted(GroupStore.Numbered group) {
    group.row().hub().ifPresent(hub -> {
      throw new FollowedGroup(hub);
    });
    return group;
  }

  /** An application message on its way into a batch, parsed. */
  private record ApplicationSend(ByteString group, Principal caller, SendRules.Application message,
                                 IdempotentRequest idempotency, boolean wake) {}

  /**
   * A batch of application messages, with one statement per kind of row: the keys claimed; the
   * groups locked in id order, their readers read; the rules applied to each message; then, for
   * those accepted, the groups' last numbers, the log entries and the answers. A refused message's
   * key is given back. Two messages under one key (a retry racing its first try) go in rounds, the
   * second answered as a retry of the first.
   */
  private List<GroupCommit.Answer<Outcome>> appendApplications(Handle h, List<ApplicationSend> sends) {
    // Stored to the microsecond, as PostgreSQL keeps it, so what is handed over in memory and what
    // is read back are equal.
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    List<GroupCommit.Answer<Outcome>> answers = new ArrayList<>(Collections.nCopies(sends.size(), null));
    List<Integer> waiting = IntStream.range(0, sends.size()).boxed().toList();
    while (!waiting.isEmpty()) {
      Set<IdempotencyRecords.Key> keys = new HashSet<>();
      List<Integer> round = new ArrayList<>();
      List<Integer> next = new ArrayList<>();
      for (int i : waiting) {
        (keys.add(sends.get(i).idempotency().recordKey()) ? round : next).add(i);
      }
      List<GroupCommit.Answer<Outcome>> answered = appendRound(h, round.stream().map(sends::get).toList(), now);
      for (int i = 0; i < round.size(); i++) {
        answers.set(round.get(i), answered.get(i));
      }
      waiting = next;
    }
    return answers;
  }

  private List<GroupCommit.Answer<Outcome>> appendRound(Handle h, List<ApplicationSend> sends, Instant now) {
    List<Optional<IdempotencyRecords.Record>> earlier = IdempotentRequest.claimAll(h,
        sends.stream().map(ApplicationSend::idempotency).toList(), now);
    Set<ByteString> groupIds = sends.stream().map(ApplicationSend::group).collect(Collectors.toSet());
    Map<ByteString, GroupStore.Numbered> locked = groups.lockAll(h, groupIds);
    Map<ByteString, List<GroupLogStore.Reader>> readers = log.readers(h, locked.keySet());
    Map<ByteString, Long> last = new HashMap<>();
    locked.forEach((id, group) -> last.put(id, group.sequence()));
    List<GroupCommit.Answer<Outcome>> answers = new ArrayList<>();
    List<IdempotentRequest> refused = new ArrayList<>();
    List<IdempotentRequest> accepted = new ArrayList<>();
    List<byte[]> acceptedAnswers = new ArrayList<>();
    List<GroupLogStore.LogEntry> entries = new ArrayList<>();
    List<Boolean> wakes = new ArrayList<>();
    for (int i = 0; i < sends.size(); i++) {
      ApplicationSend send = sends.get(i);
      try {
        if (earlier.get(i).isPresent()) {
          answers.add(new GroupCommit.Answer.Done<>(new Outcome(
              replay(send.idempotency().answerOf(earlier.get(i).get())), Publisher.Published.NOTHING)));
          continue;
        }
        GroupStore.Numbered group = locked.get(send.group());
        if (group == null) {
          throw Groups.notFound();
        }
        hosted(group);
        List<GroupLogStore.Reader> groupReaders = readers.get(send.group());
        requireSender(h, send.group().toByteArray(), groupReaders, send.caller());
        SendRules.requireApplicationEpoch(group.row().epoch(), send.message().epoch(), applicationWindow);
        long sequence = last.merge(send.group(), 1L, Long::sum);
        GroupStore.Numbered numbered = new GroupStore.Numbered(group.row(), sequence);
        Outcome outcome = outcome(numbered, groupReaders, send.caller(), send.message().bytes(),
            send.message().epoch(), group.row().epoch(), send.wake(), now).federated(group.row().federated());
        entries.add(outcome.published().message().orElseThrow().entry());
        wakes.add(outcome.published().message().orElseThrow().wake());
        accepted.add(send.idempotency());
        acceptedAnswers.add(outcome.response().toByteArray());
        answers.add(new GroupCommit.Answer.Done<>(outcome));
      } catch (RuntimeException e) {
        if (earlier.get(i).isEmpty()) {
          refused.add(send.idempotency());
        }
        answers.add(new GroupCommit.Answer.Refused<>(e));
      }
    }
    IdempotentRequest.release(h, refused);
    if (!entries.isEmpty()) {
      Map<ByteString, Long> moved = new HashMap<>(last);
      moved.keySet().removeIf(id -> last.get(id) == locked.get(id).sequence());
      groups.setLastSequences(h, moved);
      log.append(h, entries, wakes);
      IdempotentRequest.recordAnswers(h, accepted, acceptedAnswers);
    }
    return answers;
  }

  /**
   * Runs {@code work} under the request's idempotency key, claimed first in the transaction: a retry
   * gets the first answer and runs nothing.
   */
  private Outcome claimed(Handle h, IdempotentRequest idempotency, Function<Instant, Outcome> work) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    Optional<byte[]> earlier = idempotency.claim(h, now);
    if (earlier.isPresent()) {
      return new Outcome(replay(earlier.get()), Publisher.Published.NOTHING);
    }
    Outcome accepted = work.apply(now);
    idempotency.recordAnswer(h, accepted.response().toByteArray());
    return accepted;
  }

  /** A proposal: checked against the group's public state, kept in it for the commit that will take it, and logged. */
  private Outcome proposal(Handle h, Principal caller, SendRules.ProposalMessage p, boolean wake, Instant now) {
    GroupStore.Numbered group = hosted(groups.lockAndNumber(h, p.groupId()).orElseThrow(Groups::notFound));
    GroupStates.Followed followed = states.read(h, p.groupId()).orElseThrow(Groups::unfollowed);
    List<GroupLogStore.Reader> readers = log.readers(h, p.groupId());
    states.update(h, p.groupId(), followed, SendRules.proposal(group.row(), followed, caller, p),
        followed.members());
    return append(h, group, readers, caller, p.bytes(), p.epoch(), group.row().epoch(), wake, now, List.of())
        .federated(group.row().federated());
  }

  /** The group and its members as they stand, read without a lock (before the transaction). */
  private Groups.Group current(byte[] groupId) {
    return db.withHandle(h -> new Groups.Group(groups.group(h, groupId).orElseThrow(Groups::notFound),
        groups.members(h, groupId)));
  }

  /** The answer, and what to publish once committed. */
  private record Outcome(SendResponse response, Publisher.Published published, boolean federated) {
    Outcome(SendResponse response, Publisher.Published published) {
      this(response, published, false);
    }

    /** This outcome, handed to the fan-out too when {@code federated}. */
    Outcome federated(boolean federated) {
      return new Outcome(response, published, federated);
    }
  }

  /**
   * The sender of an application message reads the group: a member of this domain has a reader, one
   * of another domain (relayed by its homeserver) a leaf in the member map.
   */
  private void requireSender(Handle h, byte[] groupId, List<GroupLogStore.Reader> readers, Principal caller) {
    if (local.queueOf(caller.clientId()).isPresent()) {
      SendRules.requireReader(readers, caller);
    } else if (!federation.isMember(h, groupId, caller.clientId())) {
      throw Groups.notAMember();
    }
  }

  /** The commit: its changes worked out by the rules, then written, then the log entry and the Welcomes. */
  private Outcome commit(Handle h, Principal caller, SendRules.CommitMessage c, SendRules.Admitted admitted,
      boolean wake, Instant now) {
    GroupStore.Numbered group = hosted(groups.lockAndNumber(h, c.groupId()).orElseThrow(Groups::notFound));
    GroupStates.Followed followed = states.read(h, c.groupId()).orElseThrow(Groups::unfollowed);
    List<GroupLogStore.Reader> readers = log.readers(h, c.groupId());
    MemberMap before = followed.members();
    SendRules.Committed committed = SendRules.commit(group.row(), followed, caller, c, admitted,
        next -> states.members(next, Optional.of(followed)), addedClients::clientIdOf);
    long sequence = group.sequence();
    long epoch = group.row().epoch() + 1;
    states.update(h, c.groupId(), followed, committed.state(), committed.after());
    groups.writeMemberDifference(h, c.groupId(), before, committed.after());
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
    boolean federated = fanOut.recordCommit(h, group.row(), before, committed, sequence, epoch, c, caller)
        || group.row().federated();
    Outcome outcome = append(h, group, readers, caller, c.bytes(), c.epoch(), epoch, wake, now, welcomes);
    Publisher.Published published = outcome.published();
    return new Outcome(outcome.response(), new Publisher.Published(published.message(), published.queued(), joined),
        federated);
  }

  /**
   * Appends a proposal or commit to the group's log at the number the lock gave it, queues
   * {@code welcomes}, and says what to publish.
   */
  private Outcome append(Handle h, GroupStore.Numbered group, List<GroupLogStore.Reader> readers,
      Principal caller, byte[] bytes, long messageEpoch, long groupEpoch, boolean wake, Instant now,
      List<Delivery> welcomes) {
    Outcome outcome = outcome(group, readers, caller, bytes, messageEpoch, groupEpoch, wake, now);
    Publisher.LogMessage message = outcome.published().message().orElseThrow();
    log.append(h, List.of(message.entry()), List.of(message.wake()));
    List<Queues.Queued> queued = welcomes.isEmpty() ? List.of() : queues.queueAll(h, welcomes, now);
    return new Outcome(outcome.response(), new Publisher.Published(Optional.of(message), queued, List.of()));
  }

  /**
   * The log entry of a message numbered {@code group.sequence()}, its answer, and what to publish:
   * the entry for every reader but the caller.
   */
  private static Outcome outcome(GroupStore.Numbered group, List<GroupLogStore.Reader> readers, Principal caller,
      byte[] bytes, long messageEpoch, long groupEpoch, boolean wake, Instant now) {
    GroupLogStore.LogEntry entry = new GroupLogStore.LogEntry(group.row().groupId(), group.sequence(), messageEpoch,
        caller.clientUuid(), bytes, now);
    List<GroupLogStore.Reader> recipients = readers.stream().filter(r -> !r.client().equals(caller.clientUuid()))
        .toList();
    return new Outcome(response(group.row().groupId(), groupEpoch, group.sequence(), now),
        new Publisher.Published(Optional.of(new Publisher.LogMessage(entry, recipients, wake && !recipients.isEmpty())),
            List.of(), List.of()));
  }

  private List<UUID> queuesOf(Collection<String> clientIds) {
    return clientIds.stream().flatMap(id -> local.queueOf(id).stream()).distinct().toList();
  }

  /** What the other services say about a commit's added clients or an external joiner, asked before any lock. */
  private SendRules.Admitted admit(Principal caller, SendRules.Parsed parsed) {
    SendRules.ownLeaves(parsed).forEach((field, leaf) -> credentials.requireOwn(caller, leaf, field));
    return switch (parsed) {
      case SendRules.ProposalMessage p when p.proposal() instanceof Proposal.Add(KeyPackage kp) ->
          new SendRules.Admitted(admitAdds(caller, p.groupId(), p.message().content().sender(), List.of(kp)), Set.of());
      case SendRules.CommitMessage c when c.message().content().sender() instanceof Sender.Member -> {
        Map<KeyPackage, String> adds = admitAdds(caller, c.groupId(), c.message().content().sender(),
            SendRules.addsByValue(c.commit()));
        requireClaimedByRelayer(caller, c, adds.values());
        yield new SendRules.Admitted(adds, Set.of());
      }
      // An external commit joins a client whose user is in the group or connected with a member's user.
      case SendRules.CommitMessage c when c.message().content().sender() instanceof Sender.NewMemberCommit ->
          new SendRules.Admitted(Map.of(), connectedMemberUsers(caller, c.groupId()));
      default -> SendRules.Admitted.NONE;
    };
  }

  /**
   * A commit relayed from another domain adds clients of this one only with KeyPackages that domain
   * claimed from here (federation.proto, GROUPS ACROSS DOMAINS); KEY_PACKAGE_NOT_CLAIMED otherwise.
   */
  private void requireClaimedByRelayer(Principal caller, SendRules.CommitMessage c, Collection<String> added) {
    Optional<String> relayer = ClientIdentity.parseClientId(caller.clientId()).map(ClientIdentity::domain)
        .filter(d -> !d.equals(local.domain()));
    List<String> ours = added.stream().filter(id -> local.queueOf(id).isPresent()).toList();
    if (relayer.isPresent() && !ours.isEmpty() && c.welcomeBytes().length > 0) {
      followedGroups.requireClaimed(relayer.get(), c.welcomeBytes(), ours);
    }
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
