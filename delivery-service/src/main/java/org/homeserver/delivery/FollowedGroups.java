package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.GroupDeleted;
import org.homeserver.api.delivery.v1.QueueGap;
import org.homeserver.api.delivery.v1.QueueGapReason;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.api.delivery.v1.SendResponse;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.delivery.v1.WelcomeMessage;
import org.homeserver.api.federation.v1.DeliverEventRequest;
import org.homeserver.api.federation.v1.DeliverGroupMessageRequest;
import org.homeserver.api.federation.v1.DeliverWelcomeRequest;
import org.homeserver.api.federation.v1.FetchGroupMessagesRequest;
import org.homeserver.api.federation.v1.FetchGroupMessagesResponse;
import org.homeserver.api.federation.v1.GroupState;
import org.homeserver.api.federation.v1.RelayGroupOperationRequest;
import org.homeserver.api.federation.v1.RelayGroupOperationResponse;
import org.homeserver.api.federation.v1.RelayedDeleteGroup;
import org.homeserver.api.federation.v1.RelayedSend;
import org.homeserver.api.keypackage.v1.PeerClaim;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.Welcome;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.clients.RegisteredClients;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.db.Transactions;
import org.homeserver.platform.errors.Fact;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.Protos;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.tasks.Periodic;
import org.homeserver.platform.tasks.Tasks;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A follower's side of groups across domains (federation.proto, GROUPS ACROSS DOMAINS): its
 * clients' sends and deletions relayed to the hub, and what the hub sends applied in the hub's
 * order exactly once. A message beyond the next number is kept aside and what is missing fetched
 * from the hub ({@link #catchUp}); one already applied changes nothing. The follower's copy of the
 * group (member map, epoch, GroupInfo, ratchet tree) and its clients' readers change with each
 * commit and Welcome as they would at the hub, so Fetch, Listen, Ack and notifications serve a
 * followed group as they serve a hosted one.
 */
final class FollowedGroups implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FollowedGroups.class);
  /** Rounds of one catch-up at most before it waits for the sweep. */
  private static final int MAX_ROUNDS = 100;
  /** Groups one sweep looks at, at most. */
  private static final int SWEEP_GROUPS = 200;
  private static final int MESSAGE = 0;
  private static final int WELCOME = 1;

  private final Transactions db;
  private final FederationStore store;
  private final GroupStore groups;
  private final GroupLogStore groupLog;
  private final Queues queues;
  private final Publisher publisher;
  private final FederationLink link;
  private final RegisteredClients registry;
  private final LocalClients local;
  private final Clock clock;
  private final Set<ByteString> catchingUp = ConcurrentHashMap.newKeySet();
  private final ExecutorService worker = Executors.newSingleThreadExecutor(
      Thread.ofPlatform().daemon().name("catch-up").factory());
  private final Periodic sweep;

  FollowedGroups(Transactions db, FederationStore store, GroupStore groups, GroupLogStore groupLog, Queues queues,
      Publisher publisher, FederationLink link, RegisteredClients registry, LocalClients local, Tasks tasks,
      Duration sweepInterval, Clock clock) {
    this.db = db;
    this.store = store;
    this.groups = groups;
    this.groupLog = groupLog;
    this.queues = queues;
    this.publisher = publisher;
    this.link = link;
    this.registry = registry;
    this.local = local;
    this.clock = clock;
    this.sweep = tasks.every("followed-catch-up", sweepInterval, this::sweep);
  }

  // --- relays to the hub ---

  /** A client's Send to a followed group, relayed to its hub; the hub's answer or refusal. */
  SendResponse relaySend(Principal caller, String hub, SendRequest request) {
    RelayedSend.Builder send = RelayedSend.newBuilder().setNoNotification(request.getNoNotification());
    switch (request.getContentCase()) {
      case MLS_MESSAGE -> send.setMlsMessage(request.getMlsMessage());
      case COMMIT_BUNDLE -> send.setCommitBundle(request.getCommitBundle());
      case CONTENT_NOT_SET -> throw Refusal.invalid("name the message to send");
    }
    RelayGroupOperationResponse answer = link.relay(hub, RelayGroupOperationRequest.newBuilder()
        .setClientId(caller.clientId()).setIdempotencyKey(relayKey(caller, request.getIdempotencyKey()))
        .setSend(send).build());
    return SendResponse.newBuilder().setGroupId(answer.getGroupId()).setEpoch(answer.getEpoch())
        .setSequence(answer.getSequence()).setAcceptedAt(answer.getAcceptedAt()).build();
  }

  /** A client's DeleteGroup of a followed group, relayed to its hub. */
  void relayDelete(Principal caller, String hub, byte[] groupId) {
    link.relay(hub, RelayGroupOperationRequest.newBuilder().setClientId(caller.clientId())
        .setIdempotencyKey(relayKey(caller, "delete:" + FanOut.hex(groupId)))
        .setDeleteGroup(RelayedDeleteGroup.newBuilder().setGroupId(ByteString.copyFrom(groupId))).build());
  }

  /** The key a relay goes under: a client's retry relays under the same one. */
  private static String relayKey(Principal caller, String clientKey) {
    return IdempotentRequest.derivedKey("relay-", caller.clientId(), clientKey);
  }

  // --- what the hub sends ---

  /** What applying deliveries made visible, and whether a gap is left to fetch. */
  private record Step(List<Publisher.Published> published, boolean gap) {}

  /** A group message from {@code peer}, the group's hub; see DeliverGroupMessageRequest. */
  void acceptMessage(String peer, DeliverGroupMessageRequest request) {
    byte[] groupId = groupId(request.getGroupId());
    if (request.getSequence() <= 0) {
      throw Refusal.invalidField("sequence", "a group message has a number from 1");
    }
    UUID sender = uuid(request.getSenderClientUuid());
    org.homeserver.api.federation.v1.Delivery delivery = org.homeserver.api.federation.v1.Delivery.newBuilder()
        .setGroupMessage(request).build();
    Step step = db.inTransaction(h -> {
      Optional<FederationStore.Followed> followed = store.lock(h, groupId);
      if (followed.isEmpty()) {
        // An external commit that brought a client of this domain into a group it did not follow.
        Optional<String> joiner = joinerOf(request, sender, peer);
        if (joiner.isEmpty()) {
          throw Groups.notFound();
        }
        followed = Optional.of(startFollowing(h, groupId, peer, request.getGroupState(), request.getSequence() - 1));
      }
      requireHub(followed.get(), peer, false);
      return apply(h, followed.get(), delivery, false);
    });
    publish(groupId, step);
  }

  /** The client of this domain that joined by the external commit {@code request} carries, if it is one. */
  private Optional<String> joinerOf(DeliverGroupMessageRequest request, UUID sender, String peer) {
    if (!request.hasGroupState() || !request.getGroupState().getGroup().getHubDomain().equals(peer)) {
      return Optional.empty();
    }
    return request.getGroupState().getGroup().getMembersList().stream().map(m -> m.getClientId())
        .filter(id -> local.queueOf(id).filter(sender::equals).isPresent()).findFirst();
  }

  /** A Welcome from {@code peer}, the group's hub, for clients of this domain; see DeliverWelcomeRequest. */
  void acceptWelcome(String peer, DeliverWelcomeRequest request) {
    byte[] groupId = groupId(request.getGroupId());
    if (request.getSequence() <= 0 || !request.hasGroupState()) {
      throw Refusal.invalid("a Welcome names the number of its commit and carries the group's state");
    }
    if (!request.getGroupState().getGroup().getHubDomain().equals(peer)) {
      throw Refusal.of(ErrorReason.PEER_DOMAIN_MISMATCH, "the group's state names another hub than " + peer);
    }
    if (request.getRecipientClientIdsCount() == 0) {
      throw Refusal.invalidField("recipient_client_ids", "name the clients the Welcome is for");
    }
    for (String client : request.getRecipientClientIdsList()) {
      if (local.queueOf(client).isEmpty()) {
        throw Refusal.of(ErrorReason.DOMAIN_NOT_LOCAL, client + " is not a client of this domain");
      }
      if (registry.client(client).isEmpty()) {
        throw Refusal.of(ErrorReason.CLIENT_NOT_FOUND, client + " is not a registered client")
            .with(Fact.CLIENT_ID, client);
      }
    }
    String committerDomain = ClientIdentity.parseClientId(request.getCommitterClientId())
        .map(ClientIdentity::domain).orElseThrow(() -> Refusal.invalidField("committer_client_id",
            "not a client id: " + request.getCommitterClientId()));
    if (!committerDomain.equals(local.domain())) {
      requireClaimed(committerDomain, request.getWelcome().toByteArray(), request.getRecipientClientIdsList());
    }
    org.homeserver.api.federation.v1.Delivery delivery = org.homeserver.api.federation.v1.Delivery.newBuilder()
        .setWelcome(request).build();
    Step step = db.inTransaction(h -> {
      Optional<FederationStore.Followed> followed = store.lock(h, groupId);
      if (followed.isEmpty()) {
        GroupState state = request.getGroupState();
        followed = Optional.of(startFollowing(h, groupId, peer, state, request.getSequence()));
        groups.insertMembers(h, groupId, members(state).members());
        store.updateCopy(h, groupId, state.getGroup().getEpoch(), state.getGroupInfo().toByteArray(),
            state.getRatchetTree().toByteArray());
      }
      requireHub(followed.get(), peer, true);
      return apply(h, followed.get(), delivery, false);
    });
    publish(groupId, step);
  }

  /** Starts following {@code peer}'s group as its state names it, with the hub's numbers up to {@code last} behind. */
  private FederationStore.Followed startFollowing(Handle h, byte[] groupId, String peer, GroupState state, long last) {
    store.insertFollowed(h, groupId, peer, state.getGroup().getCipherSuite(), state.getGroup().getEpoch(),
        Protos.instant(state.getGroup().getCreatedAt()), last);
    return store.lock(h, groupId).orElseThrow();
  }

  /**
   * Every client of this domain a Welcome is for must have had its KeyPackage claimed by
   * {@code committerDomain}; KEY_PACKAGE_NOT_CLAIMED for the first that was not.
   */
  void requireClaimed(String committerDomain, byte[] welcome, Collection<String> clients) {
    List<byte[]> refs;
    try {
      if (!(MlsMessage.decode(welcome).body() instanceof Welcome decoded)) {
        throw Refusal.invalidField("welcome", "the MLSMessage is not a Welcome");
      }
      refs = decoded.secrets().stream().map(Welcome.EncryptedGroupSecrets::newMember).toList();
    } catch (MlsDecodeException e) {
      throw Refusal.of(ErrorReason.MLS_MESSAGE_MALFORMED, "the Welcome does not decode: " + e.getMessage());
    }
    Set<String> claimed = new HashSet<>();
    for (PeerClaim claim : link.peerClaims(committerDomain, refs)) {
      claimed.add(claim.getClientId());
    }
    for (String client : clients) {
      if (!claimed.contains(client)) {
        throw Refusal.of(ErrorReason.KEY_PACKAGE_NOT_CLAIMED, committerDomain + " did not claim the KeyPackage"
            + " this Welcome adds " + client + " with").with(Fact.CLIENT_ID, client);
      }
    }
  }

  /** A followed group's hub deleted it: its clients here are told, and it is forgotten. */
  void acceptDeleted(String peer, DeliverEventRequest request) {
    byte[] groupId = groupId(request.getGroupDeleted().getGroupId());
    List<Queues.Queued> queued = db.inTransaction(h -> {
      Optional<FederationStore.Followed> followed = store.lock(h, groupId);
      if (followed.isEmpty()) {
        return List.<Queues.Queued>of();
      }
      requireHub(followed.get(), peer, false);
      Optional<UUID> deleter = local.queueOf(request.getGroupDeleted().getDeletedByClientId());
      List<Recipient> readers = groupLog.readers(h, groupId).stream().map(GroupLogStore.Reader::client)
          .filter(c -> deleter.map(d -> !d.equals(c)).orElse(true)).map(Recipient::of).toList();
      groupLog.endAllReaders(h, groupId, followed.get().last());
      groups.deleteGroup(h, groupId);
      if (readers.isEmpty()) {
        return List.<Queues.Queued>of();
      }
      ServerEvent event = ServerEvent.newBuilder().setGroupDeleted(GroupDeleted.newBuilder()
          .setGroupId(ByteString.copyFrom(groupId))
          .setDeletedByClientId(request.getGroupDeleted().getDeletedByClientId())).build();
      return queues.queueAll(h, List.of(Delivery.of(new QueueContent.Event(event), readers)), now());
    });
    publisher.publish(Publisher.Published.queued(queued));
  }

  /** A followed group's hub cut a domain off or let it back in: this domain's members are told, once. */
  void acceptFederationChanged(String peer, DeliverEventRequest request) {
    byte[] groupId = groupId(request.getGroupFederationChanged().getGroupId());
    IdempotentRequest idempotency = IdempotentRequest.of(IdempotentRequest.peer(peer), request.getIdempotencyKey(),
        request);
    List<Queues.Queued> queued = db.inTransaction(h -> {
      Optional<FederationStore.Followed> followed = store.lock(h, groupId);
      if (followed.isEmpty() || idempotency.claim(h, now()).isPresent()) {
        return List.<Queues.Queued>of();
      }
      requireHub(followed.get(), peer, false);
      List<Recipient> readers = groupLog.readers(h, groupId).stream().map(r -> Recipient.of(r.client())).toList();
      idempotency.recordAnswer(h, new byte[0]);
      if (readers.isEmpty()) {
        return List.<Queues.Queued>of();
      }
      ServerEvent event = ServerEvent.newBuilder()
          .setGroupFederationChanged(request.getGroupFederationChanged()).build();
      return queues.queueAll(h, List.of(Delivery.of(new QueueContent.Event(event), readers)), now());
    });
    publisher.publish(Publisher.Published.queued(queued));
  }

  /**
   * A group call from {@code peer} about a group here: only its hub may make one. A Welcome for a
   * group this homeserver hosts is GROUP_EXISTS; anything else from another domain
   * PEER_DOMAIN_MISMATCH.
   */
  private static void requireHub(FederationStore.Followed followed, String peer, boolean welcome) {
    Optional<String> hub = followed.row().hub();
    if (hub.isEmpty() && welcome) {
      throw Refusal.of(ErrorReason.GROUP_EXISTS, "this homeserver hosts a group with this id");
    }
    if (hub.isEmpty() || !hub.get().equals(peer)) {
      throw Refusal.of(ErrorReason.PEER_DOMAIN_MISMATCH, peer + " is not the hub of this group");
    }
  }

  /**
   * Applies one delivery of the hub's in the group's order, then what was kept aside and is now
   * next. {@code fetched}: it comes from the hub's answer to a fetch, which holds everything of this
   * domain's in its range, so numbers it skips are not this domain's and it is applied whatever the
   * last number here.
   */
  private Step apply(Handle h, FederationStore.Followed followed, org.homeserver.api.federation.v1.Delivery delivery,
      boolean fetched) {
    byte[] groupId = followed.row().groupId();
    List<Publisher.Published> published = new ArrayList<>();
    long last = followed.last();
    long sequence = sequenceOf(delivery);
    boolean isMessage = delivery.hasGroupMessage();
    if (isMessage && sequence <= last) {
      return new Step(published, false);   // a retry: applied already
    }
    if (!fetched && (isMessage ? sequence > last + 1 : sequence > last)) {
      store.hold(h, groupId, sequence, isMessage ? MESSAGE : WELCOME, delivery.toByteArray());
      return new Step(published, true);
    }
    published.add(isMessage ? applyMessage(h, groupId, delivery.getGroupMessage(), last)
        : applyWelcome(h, groupId, delivery.getWelcome(), last));
    last = Math.max(last, sequence);
    store.setLast(h, groupId, last);
    return new Step(published, drainHeld(h, groupId, last, published));
  }

  /** Applies what was kept aside and is next now; whether a gap is still left. */
  private boolean drainHeld(Handle h, byte[] groupId, long last, List<Publisher.Published> published) {
    for (Optional<FederationStore.Held> held = store.firstHeld(h, groupId); held.isPresent();
         held = store.firstHeld(h, groupId)) {
      FederationStore.Held next = held.get();
      boolean isMessage = next.kind() == MESSAGE;
      if (isMessage ? next.sequence() > last + 1 : next.sequence() > last) {
        return true;
      }
      store.dropHeld(h, groupId, next);
      if (isMessage && next.sequence() <= last) {
        continue;
      }
      org.homeserver.api.federation.v1.Delivery delivery = parse(next.delivery());
      published.add(isMessage ? applyMessage(h, groupId, delivery.getGroupMessage(), last)
          : applyWelcome(h, groupId, delivery.getWelcome(), last));
      last = Math.max(last, next.sequence());
      store.setLast(h, groupId, last);
    }
    return false;
  }

  /** The message appended to the group's log here under the hub's number, a commit's state applied to the copy. */
  private Publisher.Published applyMessage(Handle h, byte[] groupId, DeliverGroupMessageRequest m, long last) {
    List<GroupLogStore.Reader> readers = groupLog.readers(h, groupId);
    UUID sender = uuid(m.getSenderClientUuid());
    List<UUID> joined = m.hasGroupState() ? applyState(h, groupId, m.getGroupState(), m.getSequence())
        : List.of();
    List<GroupLogStore.Reader> recipients = readers.stream().filter(r -> !r.client().equals(sender)).toList();
    boolean wake = !m.getNoNotification() && !recipients.isEmpty();
    Instant acceptedAt = Protos.instant(m.getAcceptedAt()).truncatedTo(ChronoUnit.MICROS);
    GroupLogStore.LogEntry entry = new GroupLogStore.LogEntry(groupId, m.getSequence(), m.getEpoch(), sender,
        m.getMlsMessage().toByteArray(), acceptedAt);
    groupLog.append(h, List.of(entry), List.of(wake));
    if (m.hasGroupState() && members(m.getGroupState()).members().stream()
        .noneMatch(member -> local.queueOf(member.clientId()).isPresent())) {
      // No client of this domain is left: the group is forgotten; the removed still read the
      // commit that removed them, from the log, which outlives the group's row.
      groups.deleteGroup(h, groupId);
    }
    return new Publisher.Published(Optional.of(new Publisher.LogMessage(entry, recipients, wake)), List.of(), joined);
  }

  /**
   * The hub's state after the commit numbered {@code sequence} copied: member map, epoch, GroupInfo
   * and tree; this domain's removed clients read up to the commit, its added ones (an external
   * joiner; the welcomed get their Welcome too) from the next message. The readers who joined.
   */
  private List<UUID> applyState(Handle h, byte[] groupId, GroupState state, long sequence) {
    MemberMap before = groups.members(h, groupId);
    MemberMap after = members(state);
    groups.writeMemberDifference(h, groupId, before, after);
    store.updateCopy(h, groupId, state.getGroup().getEpoch(), state.getGroupInfo().toByteArray(),
        state.getRatchetTree().toByteArray());
    groupLog.endReaders(h, groupId, queuesOf(SendRules.removed(before, after)), sequence);
    List<UUID> joined = queuesOf(SendRules.added(before, after));
    groupLog.addReaders(h, groupId, joined, sequence);
    return joined;
  }

  /** The Welcome queued for its clients here, who read the group from the message after its commit. */
  private Publisher.Published applyWelcome(Handle h, byte[] groupId, DeliverWelcomeRequest w, long last) {
    String hub = groups.group(h, groupId).flatMap(GroupStore.GroupRow::hub).orElseThrow();
    IdempotentRequest idempotency = IdempotentRequest.of(IdempotentRequest.peer(hub), w.getIdempotencyKey(), w);
    if (idempotency.claim(h, now()).isPresent()) {
      return Publisher.Published.NOTHING;
    }
    idempotency.recordAnswer(h, new byte[0]);
    List<UUID> joined = new ArrayList<>();
    if (w.getSequence() > last) {
      joined.addAll(applyState(h, groupId, w.getGroupState(), w.getSequence()));
    }
    List<UUID> recipients = w.getRecipientClientIdsList().stream().flatMap(id -> local.queueOf(id).stream())
        .toList();
    groupLog.addReaders(h, groupId, recipients, w.getSequence());
    recipients.stream().filter(r -> !joined.contains(r)).forEach(joined::add);
    WelcomeMessage welcome = WelcomeMessage.newBuilder().setGroupId(w.getGroupId()).setEpoch(w.getEpoch())
        .setWelcome(w.getWelcome()).build();
    List<Queues.Queued> queued = queues.queueAll(h, List.of(Delivery.of(new QueueContent.Welcome(welcome),
        recipients.stream().map(Recipient::of).toList())), now());
    return new Publisher.Published(Optional.empty(), queued, joined);
  }

  // --- catch-up ---

  /** Fetches, soon and on the catch-up thread, what the group's hub sent that did not arrive. */
  void catchUp(byte[] groupId) {
    ByteString key = ByteString.copyFrom(groupId);
    if (catchingUp.add(key)) {
      worker.execute(() -> {
        catchingUp.remove(key);
        try {
          fetchMissing(groupId);
        } catch (RuntimeException e) {
          log.warn("catching up group {} failed; the sweep tries again: {}", FanOut.hex(groupId), e.toString());
        }
      });
    }
  }

  /** Asks the hub for what follows the last number here until nothing is kept aside. */
  void fetchMissing(byte[] groupId) {
    for (int round = 0; round < MAX_ROUNDS; round++) {
      Optional<FederationStore.Followed> now = db.withHandle(h -> store.current(h, groupId));
      if (now.isEmpty() || now.get().row().hosted()) {
        return;
      }
      long after = now.get().last();
      FetchGroupMessagesResponse answer = link.fetch(now.get().row().hub().orElseThrow(), FetchGroupMessagesRequest
          .newBuilder().setGroupId(ByteString.copyFrom(groupId)).setAfterSequence(after)
          .setLimit(FanOut.MAX_FETCH).build());
      Step step = db.inTransaction(h -> applyFetched(h, groupId, after, answer));
      publish(groupId, step);
      boolean more = answer.getThroughSequence() < answer.getLastSequence();
      if (!more && !step.gap()) {
        return;
      }
    }
  }

  /** A fetch's answer applied, unless the group moved on meanwhile (then it is asked again). */
  private Step applyFetched(Handle h, byte[] groupId, long after, FetchGroupMessagesResponse answer) {
    Optional<FederationStore.Followed> followed = store.lock(h, groupId);
    List<Publisher.Published> published = new ArrayList<>();
    if (followed.isEmpty() || followed.get().last() != after) {
      return new Step(published, followed.isPresent());
    }
    if (answer.getMissed()) {
      published.add(resync(h, followed.get(), answer));
    }
    for (org.homeserver.api.federation.v1.Delivery delivery : answer.getDeliveriesList()) {
      FederationStore.Followed current = store.lock(h, groupId).orElseThrow();
      published.addAll(apply(h, current, delivery, true).published());
    }
    long last = store.lock(h, groupId).orElseThrow().last();
    if (answer.getThroughSequence() > last) {
      store.setLast(h, groupId, answer.getThroughSequence());
      last = answer.getThroughSequence();
    }
    boolean gap = drainHeld(h, groupId, last, published);
    return new Step(published, gap);
  }

  /**
   * The hub no longer holds what this domain missed: its clients in the group get a QueueGap for
   * it (they rejoin by external commit) and the copy takes the hub's state now.
   */
  private Publisher.Published resync(Handle h, FederationStore.Followed followed, FetchGroupMessagesResponse answer) {
    byte[] groupId = followed.row().groupId();
    long firstKept = answer.getDeliveriesCount() == 0 ? answer.getThroughSequence() + 1
        : sequenceOf(answer.getDeliveries(0));
    log.warn("group {} of {}: its hub no longer holds numbers {} to {}; this domain's members must rejoin",
        FanOut.hex(groupId), followed.row().hub().orElseThrow(), followed.last() + 1, firstKept - 1);
    List<Recipient> readers = groupLog.readers(h, groupId).stream().map(r -> Recipient.of(r.client())).toList();
    applyState(h, groupId, answer.getGroupState(), firstKept - 1);
    store.setLast(h, groupId, firstKept - 1);
    if (readers.isEmpty()) {
      return Publisher.Published.NOTHING;
    }
    ServerEvent gap = ServerEvent.newBuilder().setQueueGap(QueueGap.newBuilder()
        .setFirstSequence(followed.last() + 1).setLastSequence(firstKept - 1)
        .setDroppedCount(firstKept - 1 - followed.last()).setReason(QueueGapReason.QUEUE_GAP_REASON_HUB_RETENTION)
        .addGroupIds(ByteString.copyFrom(groupId)).setLogGroupId(ByteString.copyFrom(groupId))).build();
    return Publisher.Published.queued(queues.queueAll(h, List.of(Delivery.of(new QueueContent.Event(gap), readers)),
        now()));
  }

  /** Followed groups with deliveries kept aside: their catch-up is tried again. */
  void sweep() {
    for (byte[] groupId : db.withHandle(h -> store.groupsWithHeld(h, SWEEP_GROUPS))) {
      catchUp(groupId);
    }
  }

  // --- helpers ---

  private void publish(byte[] groupId, Step step) {
    step.published().forEach(publisher::publish);
    if (step.gap()) {
      catchUp(groupId);
    }
  }

  private List<UUID> queuesOf(Collection<String> clientIds) {
    return clientIds.stream().flatMap(id -> local.queueOf(id).stream()).distinct().toList();
  }

  private static MemberMap members(GroupState state) {
    List<Optional<String>> leaves = new ArrayList<>();
    for (var member : state.getGroup().getMembersList()) {
      while (leaves.size() <= member.getLeafIndex()) {
        leaves.add(Optional.empty());
      }
      leaves.set(member.getLeafIndex(), Optional.of(member.getClientId()));
    }
    return new MemberMap(leaves);
  }

  private static long sequenceOf(org.homeserver.api.federation.v1.Delivery delivery) {
    return delivery.hasGroupMessage() ? delivery.getGroupMessage().getSequence() : delivery.getWelcome().getSequence();
  }

  private static org.homeserver.api.federation.v1.Delivery parse(byte[] bytes) {
    try {
      return org.homeserver.api.federation.v1.Delivery.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a delivery kept aside does not parse", e);
    }
  }

  private static byte[] groupId(ByteString groupId) {
    if (groupId.isEmpty() || groupId.size() > 256) {
      throw Refusal.invalidField("group_id", "a group id is 1 to 256 bytes");
    }
    return groupId.toByteArray();
  }

  private static UUID uuid(String text) {
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw Refusal.invalidField("sender_client_uuid", "not a uuid: " + text);
    }
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }

  @Override
  public void close() {
    sweep.close();
    worker.shutdown();
  }
}
