package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.FetchResponse;
import org.homeserver.api.delivery.v1.GroupMessage;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.QueueGap;
import org.homeserver.api.delivery.v1.QueueGapReason;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.delivery.QueueStore.Head;
import org.homeserver.delivery.QueueStore.NewEntry;
import org.homeserver.delivery.QueueStore.NewEvent;
import org.homeserver.delivery.QueueStore.Range;
import org.homeserver.platform.db.GroupCommit;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.DeclaredRules;
import org.homeserver.platform.grpc.Protos;
import org.jdbi.v3.core.Handle;

/**
 * What clients read (delivery.proto, QUEUES): their own queues (numbering, idempotent sends, the
 * body stored once, the cap and retention with their gap events) and their positions in the group
 * logs, read together by Fetch and Listen and acknowledged together by Ack. What a transaction
 * queues is handed back to the caller, which publishes it once committed ({@link Publisher}).
 */
public final class Queues {
  /** A page's content stops before delivery.proto's FetchResponse limit, with room left for entry framing. */
  static final long FETCH_BYTE_BUDGET = DeclaredRules.maxBytes(FetchResponse.getDescriptor()) - 64 * 1024;
  /** QueueGap.group_ids holds at most this many (delivery.proto). */
  static final int MAX_GAP_GROUPS = Math.toIntExact(DeclaredRules.field(QueueGap.getDescriptor(),
      QueueGap.GROUP_IDS_FIELD_NUMBER).getRepeated().getMaxItems());
  /** Queues purged per transaction, so a purge holds few locks at a time. */
  static final int PURGE_BATCH = 100;

  private final QueueStore store;
  private final GroupLogStore groupLog;
  private final QueueSignals signals;
  private final Clock clock;
  private final QueueLimits limits;

  public Queues(QueueStore store, GroupLogStore groupLog, QueueSignals signals, Clock clock, QueueLimits limits) {
    this.store = store;
    this.groupLog = groupLog;
    this.signals = signals;
    this.clock = clock;
    this.limits = limits;
  }

  /**
   * An entry just queued for {@code client}, as Fetch would return it.
   *
   * @param waiting how many entries the client's queue holds with this one
   * @param wake    whether the notifier is to wake the client for it (not for a sender's no_notification)
   */
  public record Queued(UUID client, QueueEntry entry, long waiting, boolean wake) {
    /** This entry, queued without a notification. */
    public Queued silenced() {
      return new Queued(client, entry, waiting, false);
    }
  }

  /** A drop of a client's oldest entries, reported by a gap event at {@code gapSequence}. */
  private record Drop(Range range, long gapSequence) {}

  /**
   * Queues the content for every recipient in one transaction: the body once, one entry each, and
   * for a full queue the drop of its oldest entries with a gap event (never a refusal). A retry under the same idempotency key and digest returns the first answer and stores nothing;
   * the key with another digest is IDEMPOTENCY_KEY_REUSED. The caller publishes what was queued.
   */
  public Delivered enqueue(Delivery delivery) {
    Instant now = clock.instant();
    return store.inTransaction(h -> {
      Optional<Enqueued> earlier = delivery.idempotency().flatMap(r -> r.claim(h, now)).map(Enqueued::replay);
      if (earlier.isPresent()) {
        return new Delivered(earlier.get(), List.of());
      }
      List<Queued> queued = queue(h, delivery, now);
      Enqueued enqueued = new Enqueued(queued.stream().map(q -> new Enqueued.Position(q.client(),
          q.entry().getSequence())).toList(), false);
      delivery.idempotency().ifPresent(r -> r.recordAnswer(h, enqueued.encode()));
      return new Delivered(enqueued, queued);
    });
  }

  /**
   * Queues several deliveries in the caller's transaction, each as {@link #enqueue} would (without
   * their idempotency, which the caller handles). The heads of all recipients are locked first in
   * one sorted statement, so deliveries to overlapping sets cannot deadlock. The caller publishes
   * the result once the transaction has committed.
   */
  public List<Queued> queueAll(Handle h, List<Delivery> deliveries, Instant now) {
    if (deliveries.size() > 1) {
      store.lockHeads(h, deliveries.stream().flatMap(d -> d.recipients().stream()).map(Recipient::client)
          .distinct().toList());
    }
    List<Queued> queued = new ArrayList<>();
    for (Delivery delivery : deliveries) {
      if (delivery.idempotency().isPresent()) {
        throw new IllegalArgumentException("queueAll leaves idempotency to its caller");
      }
      queued.addAll(queue(h, delivery, now));
    }
    return queued;
  }

  /** What one enqueue did: the answer, and the entries to publish (none for a replay). */
  public record Delivered(Enqueued enqueued, List<Queued> queued) {
    /** What to publish. */
    public Publisher.Published published() {
      return Publisher.Published.queued(queued);
    }
  }

  private List<Queued> queue(Handle h, Delivery delivery, Instant now) {
    List<UUID> clients = delivery.recipients().stream().map(Recipient::client).toList();
    Map<UUID, Long> sequences = new HashMap<>();
    Map<UUID, Long> floors = new HashMap<>();
    List<Drop> drops = new ArrayList<>();
    List<Head> cappedHeads = new ArrayList<>();
    for (Head head : store.allocateNext(h, clients, now)) {
      OptionalLong floor = limits.floorAfterCap(head.last(), head.floor());
      floors.put(head.client(), floor.orElse(head.floor()));
      if (floor.isEmpty()) {
        sequences.put(head.client(), head.last());
        continue;
      }
      // The gap event takes the number just allocated and the entry the next, so the client reads
      // what it missed before what caused the drop.
      drops.add(new Drop(new Range(head.client(), head.floor(), floor.getAsLong()), head.last()));
      sequences.put(head.client(), head.last() + 1);
      cappedHeads.add(new Head(head.client(), head.last() + 1, floor.getAsLong()));
    }
    if (!drops.isEmpty()) {
      dropWithGapEvents(h, drops, QueueGapReason.QUEUE_GAP_REASON_CAP, now);
      store.updateHeads(h, cappedHeads);
    }
    QueueContent content = delivery.content();
    List<NewEntry> entries = delivery.recipients().stream()
        .map(r -> new NewEntry(r.client(), sequences.get(r.client()), r.policy().map(p -> p.toByteArray())))
        .toList();
    // Stored to the microsecond, as PostgreSQL keeps it (it would round where Java truncates), so an
    // entry handed over in memory and the same entry read back are equal.
    Instant at = now.truncatedTo(ChronoUnit.MICROS);
    store.insertBody(h, new QueueStore.Body(content.kind(), content.toBytes(),
        content.groupId().map(ByteString::toByteArray)), entries, at);
    var receivedAt = Protos.timestamp(at);
    List<Queued> queued = new ArrayList<>(entries.size());
    for (Recipient recipient : delivery.recipients()) {
      long sequence = sequences.get(recipient.client());
      queued.add(new Queued(recipient.client(), content.toEntry(sequence, receivedAt, recipient.policy()),
          sequence - floors.get(recipient.client()), true));
    }
    return queued;
  }

  /**
   * What {@code client} has to read after {@code cursor}, as delivery.proto QUEUES orders it: its own
   * queue first, then each group it reads, at most {@code limit} entries and stopping before
   * {@link #FETCH_BYTE_BUDGET} (but at least one if there is one). The readers are read first: a
   * Welcome is committed with its reader, so a group read here has its Welcome in the own queue
   * read after.
   */
  public QueuePage read(UUID client, ReadCursor cursor, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive");
    }
    List<GroupLogStore.Reader> readers = groupLog.positionsOf(client);
    long floor = store.floor(client);
    List<QueueStore.StoredEntry> own = store.entriesAfter(client, Math.max(floor, cursor.own()), limit,
        FETCH_BYTE_BUDGET);
    List<GroupLogStore.Reader> unread = readers.stream()
        .filter(r -> Math.max(r.acked(), cursor.in(ByteString.copyFrom(r.groupId()))) < r.until()).toList();
    List<GroupLogStore.ReadEntry> logged = unread.isEmpty() ? List.of() : groupLog.entries(client,
        unread.stream().map(GroupLogStore.Reader::groupId).toList(),
        unread.stream().map(r -> cursor.in(ByteString.copyFrom(r.groupId()))).toList(), limit, FETCH_BYTE_BUDGET);
    // Both are in the order their entries were accepted (V10__group_log.sql): merged by it.
    List<QueueEntry> entries = new ArrayList<>();
    long lastOwn = cursor.own();
    Map<ByteString, Long> lastInGroup = new HashMap<>();
    long budget = FETCH_BYTE_BUDGET;
    int o = 0;
    int g = 0;
    boolean more = false;
    while (o < own.size() || g < logged.size()) {
      boolean ownNext = g == logged.size() || (o < own.size() && own.get(o).order() < logged.get(g).order());
      byte[] content = ownNext ? own.get(o).content() : logged.get(g).message();
      if (entries.size() == limit || content == null || (content.length > budget && !entries.isEmpty())) {
        more = true;
        break;
      }
      budget -= content.length;
      if (ownNext) {
        QueueStore.StoredEntry row = own.get(o++);
        QueueEntry.Builder entry = QueueEntry.newBuilder()
            .setSequence(row.sequence())
            .setReceivedAt(Protos.timestamp(row.receivedAt()));
        QueueContent.fill(entry, row.kind(), row.content(), row.notificationPolicy());
        entries.add(entry.build());
        lastOwn = row.sequence();
      } else {
        GroupLogStore.ReadEntry row = logged.get(g++);
        entries.add(groupEntry(row));
        lastInGroup.put(ByteString.copyFrom(row.groupId()), row.sequence());
      }
    }
    return new QueuePage(entries, more, cursor.after(lastOwn, lastInGroup), floor, readers);
  }

  /** The client's positions (own queue's floor, readers) without entries. */
  public QueuePage positionsOnly(UUID client) {
    List<GroupLogStore.Reader> readers = groupLog.positionsOf(client);
    long floor = store.floor(client);
    return new QueuePage(List.of(), false, ReadCursor.START, floor, readers);
  }

  /** A log entry as the reader receives it. */
  static QueueEntry groupEntry(GroupLogStore.ReadEntry row) {
    GroupMessage.Builder message = GroupMessage.newBuilder().setGroupId(ByteString.copyFrom(row.groupId()))
        .setEpoch(row.epoch()).setMlsMessage(ByteString.copyFrom(row.message()));
    if (row.policy() != null) {
      try {
        message.getNotificationPolicyBuilder().mergeFrom(row.policy());
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException("a stored notification policy does not parse", e);
      }
    }
    return QueueEntry.newBuilder().setSequence(row.sequence()).setReceivedAt(Protos.timestamp(row.acceptedAt()))
        .setMessage(message).build();
  }

  /** What one Ack acknowledged: the own queue up to a sequence (0: nothing) and groups' logs up to theirs. */
  public record Acknowledged(long ownUpTo, Map<ByteString, Long> groups) {
    public Acknowledged {
      groups = Map.copyOf(groups);
    }
  }

  /** One Ack: {@code client}'s own queue up to {@code ownUpTo} (0: none) and its groups' logs up to theirs. */
  public record Ack(UUID client, long ownUpTo, Map<ByteString, Long> groups) {}

  /**
   * Acknowledges {@code client}'s entries: deletes its own queue's entries up to {@code ownUpTo}
   * (and the bodies no other entry needs) and moves its positions in the groups' logs. Acknowledging
   * entries already gone, or of a group it does not read, succeeds; beyond the last sequence given
   * out (or above 2^63) is QUEUE_SEQUENCE_INVALID, and changes nothing.
   */
  public Acknowledged ack(UUID client, long ownUpTo, Map<ByteString, Long> groups) {
    return switch (store.inTransaction(h -> ackAll(h, List.of(new Ack(client, ownUpTo, groups)))).getFirst()) {
      case GroupCommit.Answer.Done<Acknowledged>(Acknowledged acked) -> acked;
      case GroupCommit.Answer.Refused<Acknowledged>(RuntimeException refusal) -> throw refusal;
    };
  }

  /**
   * {@link #ack} of many Acks in the caller's transaction, with one statement per kind of row: those
   * beyond what was given out found first (a position only grows, so what passes stays valid), then
   * the positions in the logs and the own queues of the others moved. Each Ack answered in order.
   */
  public List<GroupCommit.Answer<Acknowledged>> ackAll(Handle h, List<Ack> acks) {
    List<GroupLogStore.Position> positions = new ArrayList<>();
    List<Integer> positionOf = new ArrayList<>();
    List<UUID> ownClients = new ArrayList<>();
    List<Long> ownUpTo = new ArrayList<>();
    List<Integer> ownOf = new ArrayList<>();
    for (int i = 0; i < acks.size(); i++) {
      Ack ack = acks.get(i);
      for (Map.Entry<ByteString, Long> group : ack.groups().entrySet()) {
        positions.add(new GroupLogStore.Position(ack.client(), group.getKey(), group.getValue()));
        positionOf.add(i);
      }
      if (ack.ownUpTo() > 0) {
        ownClients.add(ack.client());
        ownUpTo.add(ack.ownUpTo());
        ownOf.add(i);
      }
    }
    Set<Integer> refused = new HashSet<>();
    for (int i = 0; i < acks.size(); i++) {
      if (acks.get(i).ownUpTo() < 0 || acks.get(i).groups().values().stream().anyMatch(s -> s < 0)) {
        refused.add(i);
      }
    }
    groupLog.beyond(h, positions).forEach(p -> refused.add(positionOf.get(p)));
    store.beyond(h, ownClients, ownUpTo).forEach(o -> refused.add(ownOf.get(o)));
    // Two Acks of one client in a batch move its positions once, to the higher of theirs.
    Map<GroupLogStore.Position, Long> highest = new HashMap<>();
    for (int p = 0; p < positions.size(); p++) {
      if (!refused.contains(positionOf.get(p))) {
        GroupLogStore.Position at = positions.get(p);
        highest.merge(new GroupLogStore.Position(at.client(), at.group(), 0), at.sequence(), Math::max);
      }
    }
    Map<UUID, Long> own = new HashMap<>();
    for (int o = 0; o < ownClients.size(); o++) {
      if (!refused.contains(ownOf.get(o))) {
        own.merge(ownClients.get(o), ownUpTo.get(o), Math::max);
      }
    }
    groupLog.acknowledge(h, highest.entrySet().stream()
        .map(e -> new GroupLogStore.Position(e.getKey().client(), e.getKey().group(), e.getValue())).toList());
    store.acknowledge(h, own);
    List<GroupCommit.Answer<Acknowledged>> answers = new ArrayList<>();
    for (int i = 0; i < acks.size(); i++) {
      Ack ack = acks.get(i);
      answers.add(refused.contains(i)
          ? new GroupCommit.Answer.Refused<>(Refusal.of(ErrorReason.QUEUE_SEQUENCE_INVALID,
              "an acknowledged sequence number is beyond the last entry given out"))
          : new GroupCommit.Answer.Done<>(new Acknowledged(ack.ownUpTo(), ack.groups())));
    }
    return answers;
  }

  /** The generation of a new Listen stream of {@code client}: higher than any before it. */
  public long nextListenGeneration(UUID client, Instant liveUntil) {
    return store.nextListenGeneration(client, liveUntil);
  }

  /** Marks the streams (client and generation) as live until {@code liveUntil}, unless taken over. */
  public void keepListening(Map<UUID, Long> generations, Instant liveUntil) {
    store.keepListening(generations, liveUntil);
  }

  /** The client's stream of {@code generation} ended. */
  public void stopListening(UUID client, long generation) {
    store.stopListening(client, generation);
  }

  /** The notifier took the notifications of each client's entries up to the given sequence. */
  public void markNotified(Map<UUID, Long> upTo) {
    store.markNotified(upTo);
  }

  /** Queues whose newest entries the notifier was not told of since before {@code before}. */
  public List<Head> unnotified(Instant before, int limit) {
    return store.unnotified(before, limit);
  }

  /** Those of {@code clients} with a live Listen stream on any process at {@code now}. */
  public Set<UUID> listening(java.util.Collection<UUID> clients, Instant now) {
    return store.listening(clients, now);
  }

  /** Forgets the client's idempotency records, in the caller's transaction (the start of a purge). */
  public void forgetIdempotency(Handle h, UUID client) {
    store.forgetIdempotency(h, client);
  }

  /** Deletes the client's queue, in the caller's transaction (a purge, after its group locks). */
  public void dropQueue(Handle h, UUID client) {
    store.dropQueue(h, client);
  }

  /** Where the clients' queues and Listen streams stand, read without locks. */
  public List<QueueStore.Position> positions(java.util.Collection<UUID> clients) {
    return store.positions(clients);
  }

  /** Every entry of {@code client} at or below this sequence number is gone (acknowledged or dropped). */
  public long floor(UUID client) {
    return store.floor(client);
  }

  /** Applies the bodies released by acks and drops, deleting those nothing points at; how many went. */
  public int sweepReleasedBodies() {
    return store.sweepReleasedBodies();
  }

  /**
   * One retention pass: drops every entry received before the retention, leaving each queue that
   * lost any a gap event, and forgets idempotency records past their window. Queues a sender or an
   * ack holds at that moment are skipped and caught by the next pass, so the purge never waits
   * behind traffic; concurrent passes (several processes) are safe, each queue is rechecked under
   * its lock.
   */
  public PurgeReport purgeExpired() {
    Instant now = clock.instant();
    Instant cutoff = limits.expiredBefore(now);
    int queues = 0;
    long dropped = 0;
    Optional<UUID> after = Optional.empty();
    while (true) {
      List<UUID> batch = store.clientsWithEntriesBefore(cutoff, after, PURGE_BATCH);
      if (batch.isEmpty()) {
        break;
      }
      after = Optional.of(batch.getLast());
      List<Drop> drops = store.inTransaction(h -> purge(h, batch, cutoff, now));
      signals.queued(drops.stream().map(d -> new Enqueued.Position(d.range().client(), d.gapSequence())).toList());
      queues += drops.size();
      dropped += drops.stream().mapToLong(d -> d.range().upTo() - d.range().after()).sum();
    }
    for (List<GroupLogStore.Behind> behind = groupLog.behind(cutoff, limits.cap(), PURGE_BATCH); !behind.isEmpty();
        behind = groupLog.behind(cutoff, limits.cap(), PURGE_BATCH)) {
      for (GroupLogStore.Behind b : behind) {
        List<Queued> gap = store.inTransaction(h -> groupLog.moveOn(h, b) ? queueAll(h, List.of(logGap(b)), now)
            : List.of());
        signals.queued(gap.stream().map(q -> new Enqueued.Position(q.client(), q.entry().getSequence())).toList());
        queues += gap.size();
        dropped += gap.isEmpty() ? 0 : b.dropped();
      }
    }
    groupLog.compact(cutoff);
    int forgotten = store.deleteIdempotencyRecordsBefore(now.minus(IdempotentRequest.WINDOW));
    return new PurgeReport(queues, dropped, forgotten);
  }

  /** The gap event of a reader moved past the entries of a group's log it had not read. */
  private static Delivery logGap(GroupLogStore.Behind b) {
    ByteString group = ByteString.copyFrom(b.groupId());
    QueueGap gap = QueueGap.newBuilder()
        .setFirstSequence(b.acked() + 1)
        .setLastSequence(b.upTo())
        .setDroppedCount(b.dropped())
        .setReason(b.byRetention() ? QueueGapReason.QUEUE_GAP_REASON_RETENTION : QueueGapReason.QUEUE_GAP_REASON_CAP)
        .addGroupIds(group)
        .setLogGroupId(group)
        .build();
    return Delivery.of(new QueueContent.Event(ServerEvent.newBuilder().setQueueGap(gap).build()),
        List.of(Recipient.of(b.client())));
  }

  private List<Drop> purge(Handle h, List<UUID> clients, Instant cutoff, Instant now) {
    List<Head> heads = store.lockHeadsSkippingBusy(h, clients);
    Map<UUID, Long> expiredUpTo = store.lastSequenceBefore(h, heads.stream().map(Head::client).toList(), cutoff);
    List<Drop> drops = new ArrayList<>();
    List<Head> newHeads = new ArrayList<>();
    for (Head head : heads) {
      Long upTo = expiredUpTo.get(head.client());
      if (upTo == null) {
        continue; // acknowledged since the candidates were read
      }
      // Everything up to the newest expired entry goes, so the queue stays one contiguous range
      // (a clock stepped back could make a later entry look older; it is dropped a little early).
      drops.add(new Drop(new Range(head.client(), head.floor(), upTo), head.last() + 1));
      newHeads.add(new Head(head.client(), head.last() + 1, upTo));
    }
    if (!drops.isEmpty()) {
      dropWithGapEvents(h, drops, QueueGapReason.QUEUE_GAP_REASON_RETENTION, now);
      store.updateHeads(h, newHeads);
    }
    return drops;
  }

  /**
   * Deletes the dropped ranges, releases their bodies and queues one gap event per client naming
   * the range, how many entries it held and the groups among them. The caller holds the heads and
   * writes them.
   */
  private void dropWithGapEvents(Handle h, List<Drop> drops, QueueGapReason reason, Instant now) {
    Map<Long, Integer> released = new HashMap<>();
    Map<UUID, Long> droppedCount = new HashMap<>();
    Map<UUID, Set<ByteString>> groups = new HashMap<>();
    for (QueueStore.Dropped d : store.deleteRanges(h, drops.stream().map(Drop::range).toList())) {
      released.merge(d.bodyId(), d.entries(), Integer::sum);
      droppedCount.merge(d.client(), (long) d.entries(), Long::sum);
      Set<ByteString> ofClient = groups.computeIfAbsent(d.client(), c -> new LinkedHashSet<>());
      if (d.groupId().isPresent() && ofClient.size() < MAX_GAP_GROUPS) {
        ofClient.add(ByteString.copyFrom(d.groupId().get()));
      }
    }
    store.releaseBodies(h, released);
    List<NewEvent> events = drops.stream().map(d -> {
      UUID client = d.range().client();
      QueueGap gap = QueueGap.newBuilder()
          .setFirstSequence(d.range().after() + 1)
          .setLastSequence(d.range().upTo())
          .setDroppedCount(droppedCount.getOrDefault(client, 0L))
          .setReason(reason)
          .addAllGroupIds(groups.getOrDefault(client, Set.of()))
          .build();
      return new NewEvent(client, d.gapSequence(), ServerEvent.newBuilder().setQueueGap(gap).build().toByteArray());
    }).toList();
    store.insertEvents(h, events, now);
  }
}
