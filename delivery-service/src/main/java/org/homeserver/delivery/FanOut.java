package org.homeserver.delivery;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.homeserver.api.delivery.v1.GroupFederationChanged;
import org.homeserver.api.delivery.v1.GroupMember;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.federation.v1.DeliverEventRequest;
import org.homeserver.api.federation.v1.DeliverGroupMessageRequest;
import org.homeserver.api.federation.v1.DeliverWelcomeRequest;
import org.homeserver.api.federation.v1.Delivery;
import org.homeserver.api.federation.v1.GroupState;
import org.homeserver.mls.message.Sender;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.db.Transactions;
import org.homeserver.platform.grpc.Protos;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.tasks.Periodic;
import org.homeserver.platform.tasks.Tasks;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's side of groups across domains (federation.proto, GROUPS ACROSS DOMAINS): the messages a
 * hosted group accepts are handed, once per follower domain and in the group's order, to the
 * federation outbox, in the group's lane. The log itself is the durable record: each follower
 * domain's position (group_domains.sent_through) moves on in the transaction that read what it
 * queued, so a crash between the two queues again what the outbox's idempotency keys then ignore.
 *
 * <p>A domain the policy forbids is skipped (its members' relays are refused by the gateway) and
 * the group's other members are told; a lane that is full is skipped too. Either way, once the
 * domain can be reached again it is sent the group's latest message, sees the gap and fetches what
 * it missed ({@link #fetchFor}). Work is started after each accepted message of a federated group
 * ({@link #poke}) and by a sweep, which also notices policy changes.
 */
final class FanOut implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FanOut.class);
  /** Numbers of one group's log one transaction sends a domain at most. */
  private static final int SEQUENCES_PER_ROUND = 100;
  /** Groups one sweep looks at, at most. */
  private static final int SWEEP_GROUPS = 500;
  /** How long a policy answer is taken as current. */
  private static final Duration POLICY_TTL = Duration.ofSeconds(1);
  /** Groups pumped at once (each holds a database connection while it hands over its messages). */
  private static final int PUMPS = 4;
  /** Deliveries one FetchGroupMessages answer carries at most (federation.proto). */
  static final int MAX_FETCH = 100;

  private final Transactions db;
  private final FederationStore store;
  private final GroupStore groups;
  private final GroupLogStore groupLog;
  private final GroupStates states;
  private final Queues queues;
  private final Publisher publisher;
  private final FederationLink link;
  private final String domain;
  private final int laneLimit;
  private final java.time.Clock clock;
  private final LoadingCache<String, Boolean> allowed;
  /** Per group, the pokes not yet taken by its pump; a group is pumped by one worker at a time. */
  private final Map<ByteString, AtomicInteger> pokes = new ConcurrentHashMap<>();
  private final ExecutorService workers = Executors.newFixedThreadPool(PUMPS,
      Thread.ofPlatform().daemon().name("fan-out-", 0).factory());
  private final Periodic sweep;

  /**
   * @param laneLimit how many entries a follower's lane of one group may hold waiting before the
   *                  group's further messages skip it
   */
  FanOut(Transactions db, FederationStore store, GroupStore groups, GroupLogStore groupLog, GroupStates states,
      Queues queues,
      Publisher publisher, FederationLink link, String domain, int laneLimit, Tasks tasks, Duration sweepInterval,
      java.time.Clock clock) {
    this.db = db;
    this.store = store;
    this.groups = groups;
    this.groupLog = groupLog;
    this.states = states;
    this.queues = queues;
    this.publisher = publisher;
    this.link = link;
    this.domain = domain;
    this.laneLimit = laneLimit;
    this.clock = clock;
    this.allowed = Caffeine.newBuilder().expireAfterWrite(POLICY_TTL).build(link::federatesWith);
    this.sweep = tasks.every("federated-fan-out", sweepInterval, this::sweep);
  }

  /**
   * Records, in a hosted group's commit transaction, what followers get with the commit: the
   * domains that start or stop following (an external joiner's domain reads the commit itself, a
   * welcomed domain what follows it), the group's state after it, and for each other domain its
   * added clients' Welcome. Whether the group has or had members of other domains, so that the
   * commit fans out.
   */
  boolean recordCommit(Handle h, GroupStore.GroupRow row, MemberMap before, SendRules.Committed committed,
      long sequence, long epoch, SendRules.CommitMessage commit, Principal committer) {
    MemberMap after = committed.after();
    Map<String, List<String>> was = byOtherDomain(before.members().stream().map(MemberMap.Member::clientId).toList());
    Map<String, List<String>> is = byOtherDomain(after.members().stream().map(MemberMap.Member::clientId).toList());
    if (was.isEmpty() && is.isEmpty() && !row.federated()) {
      return false;
    }
    byte[] groupId = row.groupId();
    boolean external = commit.message().content().sender() instanceof Sender.NewMemberCommit;
    is.keySet().stream().filter(d -> !was.containsKey(d))
        .forEach(d -> store.joinDomain(h, groupId, d, external ? sequence - 1 : sequence));
    was.keySet().stream().filter(d -> !is.containsKey(d)).forEach(d -> store.leaveDomain(h, groupId, d, sequence));
    GroupState state = state(groupId, row.cipherSuite(), epoch, row.createdAt(), domain, after,
        commit.groupInfo().isPresent() ? commit.groupInfoBytes() : new byte[0],
        committed.state().ratchetTree().toBytes());
    store.putState(h, groupId, sequence, state.toByteArray());
    byOtherDomain(committed.welcomed()).forEach((d, clients) -> store.putWelcome(h, groupId, sequence, d,
        DeliverWelcomeRequest.newBuilder().setGroupId(ByteString.copyFrom(groupId)).setEpoch(epoch)
            .setWelcome(ByteString.copyFrom(commit.welcomeBytes())).addAllRecipientClientIds(clients)
            .setGroupState(state).setSequence(sequence).setCommitterClientId(committer.clientId()).build()
            .toByteArray()));
    return true;
  }

  /** Client ids of other domains than this one, by domain. */
  private Map<String, List<String>> byOtherDomain(Collection<String> clientIds) {
    Map<String, List<String>> out = new TreeMap<>();
    for (String id : clientIds) {
      ClientIdentity.parseClientId(id).map(ClientIdentity::domain).filter(d -> !d.equals(domain))
          .ifPresent(d -> out.computeIfAbsent(d, unused -> new ArrayList<>()).add(id));
    }
    return out;
  }

  /**
   * Starts the fan-out of a federated group's new messages, soon, on a fan-out worker; pokes that
   * come while the group is being pumped make it pump once more, after.
   */
  void poke(byte[] groupId) {
    AtomicInteger waiting = pokes.computeIfAbsent(ByteString.copyFrom(groupId), unused -> new AtomicInteger());
    if (waiting.getAndIncrement() == 0) {
      workers.execute(() -> {
        for (int taken = waiting.get(); taken > 0; taken = waiting.addAndGet(-taken)) {
          try {
            pump(groupId);
          } catch (RuntimeException e) {
            log.warn("fan-out of group {} failed; the sweep tries again: {}", hex(groupId), e.toString());
          }
        }
      });
    }
  }

  /** Sends every follower domain of the group what is due, now, on the caller's thread. */
  void pump(byte[] groupId) {
    List<Queues.Queued> told = new ArrayList<>();
    boolean more = db.inTransaction(h -> {
      boolean again = false;
      for (FederationStore.Lane lane : store.lockLanes(h, groupId)) {
        again |= pumpLane(h, lane, told);
      }
      return again;
    });
    publisher.publish(Publisher.Published.queued(told));
    if (more) {
      poke(groupId);
    }
  }

  /** One follower domain of one group; whether more is due. */
  private boolean pumpLane(Handle h, FederationStore.Lane lane, List<Queues.Queued> told) {
    long upTo = lane.upTo();
    if (!allowed.get(lane.domain())) {
      boolean blocked = lane.blocked() || lane.active();
      if (blocked && !lane.blocked()) {
        log.info("the policy forbids {}: group {} stops sending it", lane.domain(), hex(lane.groupId()));
        tell(h, lane, true, told);
      }
      Optional<Long> skipped = lane.sentThrough() < upTo
          ? Optional.of(lane.skippedFrom().orElse(lane.sentThrough() + 1)) : lane.skippedFrom();
      store.updateLane(h, lane, Math.max(upTo, lane.sentThrough()), skipped, blocked);
      return false;
    }
    if (lane.blocked()) {
      log.info("the policy allows {} again: group {} sends it what it missed", lane.domain(), hex(lane.groupId()));
      tell(h, lane, false, told);
    }
    Optional<Long> skipped = lane.skippedFrom();
    long sent = lane.sentThrough();
    if (sent < upTo) {
      long through = Math.min(upTo, sent + SEQUENCES_PER_ROUND);
      for (Numbered delivery : deliveries(h, lane, sent, through)) {
        FederationLink.Queued queued = link.enqueue(lane.domain(), lane.groupId(), delivery.delivery(), laneLimit);
        if (queued == FederationLink.Queued.QUEUED) {
          // Seeing this, the follower fetches whatever it missed before it.
          skipped = Optional.empty();
        } else {
          skipped = Optional.of(skipped.orElse(delivery.sequence()));
          through = upTo;
          break;
        }
      }
      sent = through;
    } else if (skipped.isPresent()) {
      // Make up for a skip: the domain's latest delivery shows it the gap; it fetches the rest.
      List<Numbered> latest = deliveries(h, lane, Math.max(0, upTo - 1), upTo);
      boolean queued = true;
      for (Numbered delivery : latest) {
        queued &= link.enqueue(lane.domain(), lane.groupId(), delivery.delivery(), laneLimit)
            == FederationLink.Queued.QUEUED;
      }
      if (queued) {
        skipped = Optional.empty();
      }
    }
    store.updateLane(h, lane, sent, skipped, false);
    return sent < upTo;
  }

  /** A delivery with the number of the message it is about. */
  record Numbered(long sequence, Delivery delivery) {}

  /**
   * What {@code lane}'s domain gets of the numbers after {@code after} up to {@code through}: the
   * messages it reads and its Welcomes, in order (at one number, the message first).
   */
  private List<Numbered> deliveries(Handle h, FederationStore.Lane lane, long after, long through) {
    byte[] groupId = lane.groupId();
    long firstRead = Math.max(after, lane.readsAfter());
    long lastRead = Math.min(through, lane.readsUntil().orElse(Long.MAX_VALUE));
    List<FederationStore.LogMessage> messages = lastRead > firstRead
        ? store.messages(h, groupId, firstRead, lastRead) : List.of();
    List<FederationStore.FanOutWelcome> welcomes = store.welcomes(h, groupId, lane.domain(), after, through);
    List<Numbered> out = new ArrayList<>();
    int w = 0;
    for (FederationStore.LogMessage m : messages) {
      while (w < welcomes.size() && welcomes.get(w).sequence() < m.sequence()) {
        out.add(welcome(groupId, welcomes.get(w++)));
      }
      out.add(message(groupId, m));
    }
    while (w < welcomes.size()) {
      out.add(welcome(groupId, welcomes.get(w++)));
    }
    return out;
  }

  private static Numbered message(byte[] groupId, FederationStore.LogMessage m) {
    DeliverGroupMessageRequest.Builder request = DeliverGroupMessageRequest.newBuilder()
        .setGroupId(ByteString.copyFrom(groupId)).setEpoch(m.epoch()).setSequence(m.sequence())
        .setMlsMessage(ByteString.copyFrom(m.message())).setSenderClientUuid(m.sender().toString())
        .setNoNotification(!m.notifies()).setAcceptedAt(Protos.timestamp(m.acceptedAt()))
        .setIdempotencyKey(key("fo-m", groupId, m.sequence()));
    m.state().ifPresent(state -> request.setGroupState(parseState(state)));
    return new Numbered(m.sequence(), Delivery.newBuilder().setGroupMessage(request).build());
  }

  private static Numbered welcome(byte[] groupId, FederationStore.FanOutWelcome w) {
    try {
      DeliverWelcomeRequest request = DeliverWelcomeRequest.parseFrom(w.welcome()).toBuilder()
          .setIdempotencyKey(key("fo-w", groupId, w.sequence())).build();
      return new Numbered(w.sequence(), Delivery.newBuilder().setWelcome(request).build());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored Welcome for a follower does not parse", e);
    }
  }

  private static GroupState parseState(byte[] state) {
    try {
      return GroupState.parseFrom(state);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored group state does not parse", e);
    }
  }

  /** The same key for the same delivery every time it is queued again, so the outbox keeps it once. */
  private static String key(String kind, byte[] groupId, long sequence) {
    return IdempotentRequest.derivedKey(kind, hex(groupId), Long.toString(sequence));
  }

  /**
   * Tells the group's members, here and on the other follower domains, that the policy cut
   * {@code lane}'s domain off or let it back in.
   */
  private void tell(Handle h, FederationStore.Lane lane, boolean blocked, List<Queues.Queued> told) {
    byte[] groupId = lane.groupId();
    ServerEvent event = ServerEvent.newBuilder().setGroupFederationChanged(GroupFederationChanged.newBuilder()
        .setGroupId(ByteString.copyFrom(groupId)).setDomain(lane.domain()).setBlocked(blocked)).build();
    List<Recipient> readers = groupLog.readers(h, groupId).stream().map(r -> Recipient.of(r.client())).toList();
    if (!readers.isEmpty()) {
      told.addAll(queues.queueAll(h, List.of(org.homeserver.delivery.Delivery.of(new QueueContent.Event(event),
          readers)), clock.instant()));
    }
    MemberMap members = groups.members(h, groupId);
    for (var others : byOtherDomain(members.members().stream().map(MemberMap.Member::clientId).toList()).entrySet()) {
      String other = others.getKey();
      if (other.equals(lane.domain()) || !allowed.get(other)) {
        continue;
      }
      DeliverEventRequest request = DeliverEventRequest.newBuilder().addAllClientIds(others.getValue())
          .setGroupFederationChanged(event.getGroupFederationChanged())
          .setIdempotencyKey(IdempotentRequest.derivedKey("fo-e", hex(groupId), lane.domain(),
              Boolean.toString(blocked), Long.toString(lane.sentThrough())))
          .build();
      link.enqueue(other, groupId, Delivery.newBuilder().setEvent(request).build(), 0);
    }
  }

  /** Fan-out due anywhere: messages not yet sent, policy changes, skips to make up for. */
  void sweep() {
    Set<String> forbidden = db.withHandle(store::followerDomains).stream().filter(d -> !allowed.get(d))
        .collect(Collectors.toSet());
    for (byte[] groupId : db.withHandle(h -> store.groupsWithWork(h, forbidden, SWEEP_GROUPS))) {
      try {
        pump(groupId);
      } catch (RuntimeException e) {
        log.warn("fan-out of group {} failed; the next sweep tries again: {}", hex(groupId), e.toString());
      }
    }
  }

  // --- catch-up, served to followers ---

  /**
   * What {@code peer}'s clients missed of a hosted group after {@code after}: its messages and
   * Welcomes for that domain, in order, at most {@code limit} numbers' worth.
   */
  org.homeserver.api.federation.v1.FetchGroupMessagesResponse fetchFor(String peer, byte[] groupId, long after,
      int limit) {
    return db.inTransaction(h -> {
      GroupStore.GroupRow row = groups.group(h, groupId).filter(GroupStore.GroupRow::hosted)
          .orElseThrow(Groups::notFound);
      FederationStore.Lane lane = store.lane(h, groupId, peer).orElseThrow(Groups::notAMember);
      long upTo = lane.upTo();
      long through = Math.min(upTo, after + Math.max(1, Math.min(limit, MAX_FETCH)));
      long firstRetained = store.firstRetained(h, groupId, lane.groupLast());
      long firstNeeded = Math.max(after, lane.readsAfter()) + 1;
      boolean missed = firstNeeded < firstRetained && firstNeeded <= Math.min(upTo, firstRetained - 1);
      var response = org.homeserver.api.federation.v1.FetchGroupMessagesResponse.newBuilder()
          .setLastSequence(upTo).setThroughSequence(through).setMissed(missed);
      deliveries(h, lane, after, through).forEach(d -> response.addDeliveries(d.delivery()));
      if (missed) {
        response.setGroupState(currentState(h, row));
      }
      if (through >= upTo) {
        store.clearSkipped(h, groupId, peer);
      }
      return response.build();
    });
  }

  private GroupState currentState(Handle h, GroupStore.GroupRow row) {
    byte[] groupId = row.groupId();
    return state(groupId, row.cipherSuite(), row.epoch(), row.createdAt(), domain, groups.members(h, groupId),
        groups.groupInfo(h, groupId).orElse(new byte[0]),
        states.read(h, groupId).map(f -> f.state().ratchetTree().toBytes()).orElse(new byte[0]));
  }

  /** A group's state as followers get it. */
  static GroupState state(byte[] groupId, int cipherSuite, long epoch, Instant createdAt, String hub,
      MemberMap members, byte[] groupInfo, byte[] ratchetTree) {
    var group = org.homeserver.api.delivery.v1.Group.newBuilder().setGroupId(ByteString.copyFrom(groupId))
        .setCipherSuite(cipherSuite).setEpoch(epoch).setHubDomain(hub).setCreatedAt(Protos.timestamp(createdAt));
    for (MemberMap.Member member : members.members()) {
      group.addMembers(GroupMember.newBuilder().setLeafIndex((int) member.leafIndex()).setClientId(member.clientId()));
    }
    return GroupState.newBuilder().setGroup(group).setGroupInfo(ByteString.copyFrom(groupInfo))
        .setRatchetTree(ByteString.copyFrom(ratchetTree)).build();
  }

  static String hex(byte[] groupId) {
    return HexFormat.of().formatHex(groupId);
  }

  @Override
  public void close() {
    sweep.close();
    workers.shutdown();
  }
}
