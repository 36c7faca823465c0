package org.homeserver.delivery;

import io.grpc.Status;
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
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.homeserver.api.notifier.v1.NotificationPolicy;
import org.homeserver.api.notifier.v1.NotifierInternalServiceGrpc.NotifierInternalServiceBlockingStub;
import org.homeserver.api.notifier.v1.NotifyClientRequest;
import org.homeserver.api.notifier.v1.NotifyClientsRequest;
import org.homeserver.delivery.QueueStore.Head;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the notifier what was queued (notifier_internal.proto NotifyClients), after the commit and
 * off the sender's thread: per send one call naming each recipient to wake, with the policy
 * attached to its entry, how many entries wait and whether it is listening. Each notification's id
 * is derived from the client and the entry's sequence, so the notifier drops a repeat.
 *
 * <p>Nothing is lost with a process: the transaction that queues an entry marks its queue
 * unnotified, and the mark is cleared only once the notifier has taken the notifications (the
 * marks of concurrent hand-offs together, {@link NotificationMarks}). A sweep hands over again
 * what stayed marked (its process died, or the notifier was down), one notification per queue for
 * its newest entry, by the client's default policy.
 */
final class NotifierHandoff implements Consumer<List<Queues.Queued>>, AutoCloseable {
  private static final List<Duration> RETRIES = List.of(Duration.ofMillis(200), Duration.ofSeconds(1),
      Duration.ofSeconds(5));
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  /** Sends waiting to be handed over before new ones are left to the sweep (the notifier is down or slow). */
  private static final int MAX_IN_FLIGHT = 10_000;
  private static final int MAX_BATCH = 10_000;
  /** How old a mark must be before the sweep takes it: a hand-off in progress usually clears it sooner. */
  static final Duration SWEEP_AFTER = Duration.ofSeconds(10);
  private static final Logger log = LoggerFactory.getLogger(NotifierHandoff.class);

  private final NotifierInternalServiceBlockingStub notifier;
  private final Queues queues;
  private final Function<Collection<UUID>, Set<UUID>> listening;
  private final Clock clock;
  private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private final NotificationMarks marks;

  /**
   * @param listening which of some clients have a live Listen stream
   */
  NotifierHandoff(NotifierInternalServiceBlockingStub notifier, Queues queues,
      Function<Collection<UUID>, Set<UUID>> listening, Clock clock) {
    this.notifier = notifier;
    this.queues = queues;
    this.listening = listening;
    this.clock = clock;
    this.marks = new NotificationMarks(queues);
  }

  /** One notification to hand over: its queue, the entry's sequence, what waits, the entry's policy. */
  private record Notice(UUID client, long sequence, long waiting, NotificationPolicy policy) {}

  @Override
  public void accept(List<Queues.Queued> queued) {
    if (queued.isEmpty() || !inFlight.tryAcquire()) {
      return;   // a full hand-off leaves the marks to the sweep
    }
    calls.execute(() -> {
      try {
        List<Notice> notices = queued.stream().filter(Queues.Queued::wake).map(q -> new Notice(q.client(),
            q.entry().getSequence(), q.waiting(), q.entry().getMessage().getNotificationPolicy())).toList();
        Map<UUID, Long> upTo = new HashMap<>();
        queued.forEach(q -> upTo.merge(q.client(), q.entry().getSequence(), Math::max));
        if (handOver(notices)) {
          marks.clear(upTo);
        }
      } finally {
        inFlight.release();
      }
    });
  }

  /** Hands over again the queues whose mark is older than {@link #SWEEP_AFTER}. */
  void sweep() {
    List<Head> heads = queues.unnotified(clock.instant().minus(SWEEP_AFTER), MAX_BATCH);
    if (!heads.isEmpty()) {
      log.info("handing {} queues to the notifier again", heads.size());
      boolean taken = handOver(heads.stream().map(h -> new Notice(h.client(), h.last(), h.last() - h.floor(),
          NotificationPolicy.getDefaultInstance())).toList());
      if (taken) {
        clearNow(heads.stream().collect(Collectors.toMap(Head::client, Head::last)));
      }
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
        NotifyClientRequest.Builder one = NotifyClientRequest.newBuilder()
            .setClientUuid(notice.client().toString())
            .setNotificationId(notificationId(notice.client(), notice.sequence()).toString())
            .setCount(notice.waiting())
            .setClientListening(live.contains(notice.client()));
        if (!notice.policy().equals(NotificationPolicy.getDefaultInstance())) {
          one.setPolicy(notice.policy());
        }
        request.addNotifications(one);
      }
      if (!send(request.build())) {
        return false;
      }
    }
    return true;
  }

  /** Clears the sweep's marks at once, so that its next run finds only what is new. */
  private void clearNow(Map<UUID, Long> upTo) {
    try {
      queues.markNotified(upTo);
    } catch (RuntimeException e) {
      log.warn("could not clear the notification marks of {} queues ({}); the sweep hands them over again", upTo.size(),
          e.toString());
    }
  }

  /** The id of the notification of one entry: the same whoever hands it over, so the notifier drops repeats. */
  static UUID notificationId(UUID client, long sequence) {
    return UUID.nameUUIDFromBytes((client + "/" + sequence).getBytes(StandardCharsets.US_ASCII));
  }

  private boolean send(NotifyClientsRequest request) {
    for (int attempt = 0; ; attempt++) {
      try {
        notifier.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS).notifyClients(request);
        return true;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT || attempt == RETRIES.size()) {
          log.warn("{} notifications not handed to the notifier ({}); the sweep tries again",
              request.getNotificationsCount(), e.getStatus());
          return false;
        }
      }
      try {
        Thread.sleep(RETRIES.get(attempt));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
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
