package org.homeserver.delivery;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.homeserver.api.notifier.v1.NotifierInternalServiceGrpc.NotifierInternalServiceBlockingStub;
import org.homeserver.api.notifier.v1.NotifyClientRequest;
import org.homeserver.api.notifier.v1.NotifyClientsRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the notifier what was queued (notifier_internal.proto NotifyClients), after the commit and
 * off the sender's thread: per send one call naming each recipient to wake, with the policy
 * attached to its entry, how many entries wait and whether it is listening. A failed call is made
 * again with the same notification ids (the notifier drops repeats); a notification still not
 * handed over after the last attempt is logged and lost, the queued entry itself is not.
 */
final class NotifierHandoff implements Consumer<List<Queues.Queued>>, AutoCloseable {
  private static final List<Duration> RETRIES = List.of(Duration.ofMillis(200), Duration.ofSeconds(1),
      Duration.ofSeconds(5));
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  /** Sends waiting to be handed over before new ones are dropped (the notifier is down or slow). */
  private static final int MAX_IN_FLIGHT = 10_000;
  private static final int MAX_BATCH = 10_000;
  private static final Logger log = LoggerFactory.getLogger(NotifierHandoff.class);

  private final NotifierInternalServiceBlockingStub notifier;
  private final Function<Collection<UUID>, Set<UUID>> listening;
  private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);

  /**
   * @param listening which of some clients have a live Listen stream
   */
  NotifierHandoff(NotifierInternalServiceBlockingStub notifier, Function<Collection<UUID>, Set<UUID>> listening) {
    this.notifier = notifier;
    this.listening = listening;
  }

  @Override
  public void accept(List<Queues.Queued> queued) {
    List<Queues.Queued> wanted = queued.stream().filter(Queues.Queued::wake).toList();
    if (wanted.isEmpty()) {
      return;
    }
    if (!inFlight.tryAcquire()) {
      log.warn("the notifier is behind; {} notifications dropped", wanted.size());
      return;
    }
    calls.execute(() -> {
      try {
        handOver(wanted);
      } finally {
        inFlight.release();
      }
    });
  }

  private void handOver(List<Queues.Queued> queued) {
    Set<UUID> live;
    try {
      live = listening.apply(queued.stream().map(Queues.Queued::client).distinct().toList());
    } catch (RuntimeException e) {
      log.warn("could not tell which clients listen; notifying as if none did", e);
      live = Set.of();
    }
    for (int from = 0; from < queued.size(); from += MAX_BATCH) {
      NotifyClientsRequest.Builder request = NotifyClientsRequest.newBuilder();
      for (Queues.Queued q : queued.subList(from, Math.min(queued.size(), from + MAX_BATCH))) {
        NotifyClientRequest.Builder one = NotifyClientRequest.newBuilder()
            .setClientUuid(q.client().toString())
            .setNotificationId(UUID.randomUUID().toString())
            .setCount(q.waiting())
            .setClientListening(live.contains(q.client()));
        if (q.entry().hasMessage() && q.entry().getMessage().hasNotificationPolicy()) {
          one.setPolicy(q.entry().getMessage().getNotificationPolicy());
        }
        request.addNotifications(one);
      }
      send(request.build());
    }
  }

  private void send(NotifyClientsRequest request) {
    for (int attempt = 0; ; attempt++) {
      try {
        notifier.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS).notifyClients(request);
        return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT || attempt == RETRIES.size()) {
          log.warn("{} notifications not handed to the notifier", request.getNotificationsCount(), e);
          return;
        }
      }
      try {
        Thread.sleep(RETRIES.get(attempt));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
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
  }
}
