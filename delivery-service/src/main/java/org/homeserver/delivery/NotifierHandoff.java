package org.homeserver.delivery;

import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Optional;
import java.time.Instant;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.homeserver.api.notifier.v1.NotificationPolicy;
import org.homeserver.api.notifier.v1.NotifierInternalServiceGrpc.NotifierInternalServiceBlockingStub;
import org.homeserver.api.notifier.v1.Notification;
import org.homeserver.api.notifier.v1.NotifyClientsRequest;
import org.homeserver.delivery.QueueStore.Head;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the notifier what was accepted (notifier_internal.proto NotifyClients), after the commit and
 * off the sender's thread, the hand-offs of concurrent sends together: one call naming each
 * recipient to wake, with its policy for the group, how many entries wait and whether it is
 * listening. Each notification's id is derived from
 * the client and the entry's position, so the notifier drops a repeat.
 *
 * <p>Nothing is lost with a process: the transaction that queues an entry marks its queue
 * unnotified, and one that appends to a group's log marks the log entry; a mark is cleared only
 * once the notifier has taken the notifications (the marks of concurrent hand-offs together,
 * {@link NotificationMarks}). A sweep hands over again what stayed marked (its process died, or the
 * notifier was down): one notification per queue for its newest entry by the client's default
 * policy, and per log entry one for each reader that has not read it, by its policy for the group.
 */
final class NotifierHandoff implements AutoCloseable {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  /** Notifications waiting to be handed over before new ones are left to the sweep (the notifier is down or slow). */
  private static final int MAX_WAITING = 100_000;
  private static final int MAX_BATCH = 10_000;
  /** How old a mark must be before the sweep takes it: a hand-off in progress usually clears it sooner. */
  static final Duration SWEEP_AFTER = Duration.ofSeconds(10);
  private static final Logger log = LoggerFactory.getLogger(NotifierHandoff.class);

  private final NotifierInternalServiceBlockingStub notifier;
  private final Queues queues;
  private final GroupLogStore groupLog;
  private final Function<Collection<UUID>, Set<UUID>> listening;
  private final Clock clock;
  private final ExecutorService calls = Executors.newSingleThreadExecutor(
      Thread.ofVirtual().name("notifier-handoff").factory());
  /** What waits for the next call: notifications, queue marks and log entries to clear; guarded by this. */
  private List<Notice> waiting = new ArrayList<>();
  private Map<UUID, Long> waitingMarks = new HashMap<>();
  private List<GroupLogStore.LogEntry> waitingLog = new ArrayList<>();
  private boolean calling;
  private final NotificationMarks marks;

  /**
   * @param listening which of some clients have a live Listen stream
   */
  NotifierHandoff(NotifierInternalServiceBlockingStub notifier, Queues queues, GroupLogStore groupLog,
      Function<Collection<UUID>, Set<UUID>> listening, Clock clock) {
    this.notifier = notifier;
    this.queues = queues;
    this.groupLog = groupLog;
    this.listening = listening;
    this.clock = clock;
    this.marks = new NotificationMarks(queues, groupLog);
  }

  /** One notification to hand over: its client, its id, what waits, the policy that applies. */
  private record Notice(UUID client, UUID id, long waiting, NotificationPolicy policy) {}

  /**
   * Hands over, off the caller's thread, the notifications of what a committed transaction
   * accepted. Hand-offs that arrive while one call to the notifier runs go together in the next
   * (one call and one clearing of marks for many sends); past {@link #MAX_WAITING} notifications
   * waiting (the notifier is down or slow), new ones are left to the sweep.
   */
  void handOff(Publisher.Published published) {
    List<Queues.Queued> queued = published.queued();
    Optional<Publisher.LogMessage> message = published.message().filter(Publisher.LogMessage::wake);
    if (queued.isEmpty() && message.isEmpty()) {
      return;
    }
    List<Notice> notices = new ArrayList<>();
    Map<UUID, Long> upTo = new HashMap<>();
    for (Queues.Queued q : queued) {
      upTo.merge(q.client(), q.entry().getSequence(), Math::max);
      if (q.wake()) {
        notices.add(new Notice(q.client(), notificationId(q.client(), q.entry().getSequence()), q.waiting(),
            NotificationPolicy.getDefaultInstance()));
      }
    }
    message.ifPresent(m -> notices.addAll(notices(m.entry(), m.recipients())));
    synchronized (this) {
      if (waiting.size() + notices.size() > MAX_WAITING) {
        return;   // the marks stay for the sweep
      }
      waiting.addAll(notices);
      upTo.forEach((client, sequence) -> waitingMarks.merge(client, sequence, Math::max));
      message.ifPresent(m -> waitingLog.add(m.entry()));
      if (calling) {
        return;
      }
      calling = true;
    }
    try {
      calls.execute(this::handOverWaiting);
    } catch (RejectedExecutionException closed) {
      synchronized (this) {
        calling = false;   // shutting down: what waits stays marked for the sweep of the next start
      }
    }
  }

  /** Hands over what waits, call after call, until nothing does. */
  private void handOverWaiting() {
    while (true) {
      List<Notice> notices;
      Map<UUID, Long> upTo;
      List<GroupLogStore.LogEntry> entries;
      synchronized (this) {
        if (waiting.isEmpty() && waitingMarks.isEmpty() && waitingLog.isEmpty()) {
          calling = false;
          return;
        }
        notices = waiting;
        upTo = waitingMarks;
        entries = waitingLog;
        waiting = new ArrayList<>();
        waitingMarks = new HashMap<>();
        waitingLog = new ArrayList<>();
      }
      if (handOver(notices)) {
        marks.clear(upTo, entries);
      }
    }
  }

  /** A log entry's notifications: one per reader, by its policy for the group. */
  private static List<Notice> notices(GroupLogStore.LogEntry entry, List<GroupLogStore.Reader> readers) {
    List<Notice> notices = new ArrayList<>(readers.size());
    for (GroupLogStore.Reader reader : readers) {
      notices.add(new Notice(reader.client(), notificationId(reader.client(), entry.groupId(), entry.sequence()),
          Math.max(1, entry.sequence() - reader.acked()), policy(reader.policy())));
    }
    return notices;
  }

  private static NotificationPolicy policy(byte[] stored) {
    if (stored == null) {
      return NotificationPolicy.getDefaultInstance();
    }
    try {
      return NotificationPolicy.parseFrom(stored);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored notification policy does not parse", e);
    }
  }

  /** Hands over again the queues and log entries whose mark is older than {@link #SWEEP_AFTER}. */
  void sweep() {
    Instant before = clock.instant().minus(SWEEP_AFTER);
    List<Head> heads = queues.unnotified(before, MAX_BATCH);
    List<GroupLogStore.LogEntry> entries = groupLog.unnotified(before, MAX_BATCH);
    if (heads.isEmpty() && entries.isEmpty()) {
      return;
    }
    log.info("handing {} queues and {} group messages to the notifier again", heads.size(), entries.size());
    // A queue read up to its end since needs no notification: its mark only goes.
    List<Notice> notices = new ArrayList<>(heads.stream().filter(h -> h.last() > h.floor()).map(h -> new Notice(
        h.client(), notificationId(h.client(), h.last()), h.last() - h.floor(), NotificationPolicy.getDefaultInstance()))
        .toList());
    for (GroupLogStore.LogEntry entry : entries) {
      notices.addAll(notices(entry, groupLog.readersOf(entry.groupId(), entry.sequence(), entry.sender())));
    }
    if (handOver(notices)) {
      clearNow(() -> {
        queues.markNotified(heads.stream().collect(Collectors.toMap(Head::client, Head::last)));
        groupLog.markNotified(entries.stream().map(GroupLogStore.LogEntry::groupId).toList(),
            entries.stream().map(GroupLogStore.LogEntry::sequence).toList());
      });
    }
  }

  /** Tells the notifier; false if it did not take them all (their marks stay for the sweep). */
  private boolean handOver(List<Notice> notices) {
    Set<UUID> live;
    try {
      live = notices.isEmpty() ? Set.of() : listening.apply(notices.stream().map(Notice::client).distinct().toList());
    } catch (RuntimeException e) {
      log.warn("could not tell which clients listen ({}); notifying as if none did", e.toString());
      live = Set.of();
    }
    for (int from = 0; from < notices.size(); from += MAX_BATCH) {
      NotifyClientsRequest.Builder request = NotifyClientsRequest.newBuilder();
      for (Notice notice : notices.subList(from, Math.min(notices.size(), from + MAX_BATCH))) {
        Notification.Builder one = Notification.newBuilder()
            .setClientUuid(bytes(notice.client()))
            .setNotificationId(bytes(notice.id()))
            .setCount(notice.waiting())
            .setClientListening(live.contains(notice.client()));
        if (!notice.policy().equals(NotificationPolicy.getDefaultInstance())) {
          one.setPolicy(notice.policy());
        }
        request.addCompact(one);
      }
      if (!send(request.build())) {
        return false;
      }
    }
    return true;
  }

  private static ByteString bytes(UUID uuid) {
    return ByteString.copyFrom(ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
        .putLong(uuid.getLeastSignificantBits()).array());
  }

  /** Clears the sweep's marks at once, so that its next run finds only what is new. */
  private void clearNow(Runnable clearing) {
    try {
      clearing.run();
    } catch (RuntimeException e) {
      log.warn("could not clear notification marks ({}); the sweep hands them over again", e.toString());
    }
  }

  /** The id of the notification of one entry of a client's own queue: the same whoever hands it over. */
  static UUID notificationId(UUID client, long sequence) {
    return UUID.nameUUIDFromBytes((client + "/" + sequence).getBytes(StandardCharsets.US_ASCII));
  }

  /** The id of the notification of one entry of a group's log to one reader. */
  static UUID notificationId(UUID client, byte[] groupId, long sequence) {
    return UUID.nameUUIDFromBytes((client + "/" + HexFormat.of().formatHex(groupId) + "/" + sequence)
        .getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * Hands {@code request} over. The channel tries again while the notifier is unreachable
   * (NotifyClients is idempotent under its notification ids); whatever still fails waits for the sweep.
   */
  private boolean send(NotifyClientsRequest request) {
    try {
      notifier.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS).notifyClients(request);
      return true;
    } catch (StatusRuntimeException e) {
      log.warn("{} notifications not handed to the notifier ({}); the sweep tries again",
          request.getNotificationsCount(), e.getStatus());
      return false;
    }
  }

  @Override
  public void close() {
    calls.shutdown();
    try {
      calls.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    marks.close();
  }
}
