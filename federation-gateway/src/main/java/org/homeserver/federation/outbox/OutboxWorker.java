package org.homeserver.federation.outbox;

import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.federation.v1.DeliveryResult;
import org.homeserver.federation.Retries;
import org.homeserver.federation.outbox.OutboxStore.Entry;
import org.homeserver.federation.outbox.OutboxStore.Lane;
import org.homeserver.federation.outbox.OutboxStore.Rejection;
import org.homeserver.federation.outbox.OutboxStore.Retry;
import org.homeserver.federation.outbox.OutboxStore.Settlement;
import org.homeserver.platform.signal.Signals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the outbox to the peers (federation.proto, DELIVERY AND RETRIES): the ready lanes in
 * parallel, each lane's batches one after the other in order, under a lease so that no two
 * processes send a lane at once. It wakes on {@link #CHANNEL} (an enqueue or a reset in any
 * process) and otherwise looks every {@link #POLL}: signals are hints, the database is the truth.
 */
public final class OutboxWorker implements AutoCloseable {
  /** The signal channel an enqueue or a backoff reset publishes on, the destination as the message. */
  public static final String CHANNEL = "federation-outbox";
  /** How long a lane stays with the process sending it, renewed before each batch. */
  public static final Duration LEASE = Duration.ofSeconds(60);
  /** How many lanes one process sends at once. */
  static final int PARALLEL_LANES = 16;
  static final Duration POLL = Duration.ofSeconds(1);
  private static final Duration DEPTH_REFRESH = Duration.ofSeconds(10);
  /** How long a dead holder's expired lease row is kept (its lane may be empty now, so nobody takes it over). */
  private static final Duration EXPIRED_LEASES_KEPT = Duration.ofHours(1);
  private static final Logger log = LoggerFactory.getLogger(OutboxWorker.class);

  private final OutboxStore store;
  private final PeerSender sender;
  private final Predicate<String> allowed;
  private final Signals signals;
  private final Clock clock;
  private final Backoff backoff;
  private final MeterRegistry meters;
  private final String processId;
  private final Set<Lane> inFlight = ConcurrentHashMap.newKeySet();
  private final Semaphore lanesAtOnce = new Semaphore(PARALLEL_LANES);
  private final ExecutorService lanes =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("federation-outbox-lane-", 0).factory());
  private final Semaphore wake = new Semaphore(0);
  private final Map<String, AtomicLong> depths = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private Signals.Subscription subscription;
  private Thread loop;

  /**
   * A worker that sends through {@code sender} to the destinations {@code allowed} lets through
   * (the others' entries wait), as {@code processId} (unique per process: the lease owner).
   * Nothing happens until {@link #start()} or {@link #drainOnce()}.
   */
  public OutboxWorker(OutboxStore store, PeerSender sender, Predicate<String> allowed, Signals signals, Clock clock,
                      Duration backoffBase, MeterRegistry meters, String processId) {
    this(store, sender, allowed, signals, clock, new Backoff(backoffBase, () -> ThreadLocalRandom.current().nextLong()),
        meters, processId);
  }

  OutboxWorker(OutboxStore store, PeerSender sender, Predicate<String> allowed, Signals signals, Clock clock,
               Backoff backoff, MeterRegistry meters, String processId) {
    this.store = store;
    this.sender = sender;
    this.allowed = allowed;
    this.signals = signals;
    this.clock = clock;
    this.backoff = backoff;
    this.meters = meters;
    this.processId = processId;
  }

  /** Starts sending in the background: at once on a signal, else every {@link #POLL}. */
  public synchronized void start() {
    if (loop != null) {
      throw new IllegalStateException("the outbox worker runs already");
    }
    subscription = signals.subscribe(CHANNEL, destination -> wake.release());
    loop = Thread.ofPlatform().name("federation-outbox").daemon().start(this::run);
  }

  private void run() {
    Instant nextRefresh = Instant.MIN;
    while (!closed) {
      try {
        wake.tryAcquire(POLL.toMillis(), TimeUnit.MILLISECONDS);
        wake.drainPermits();
        if (closed) {
          return;
        }
        dispatch();
        if (now().isAfter(nextRefresh)) {
          refreshDepths();
          store.deleteLeasesExpiredBefore(now().minus(EXPIRED_LEASES_KEPT));
          nextRefresh = now().plus(DEPTH_REFRESH);
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.warn("federation outbox: a pass failed ({}); the next one tries again", e.toString());
      }
    }
  }

  /**
   * Sends every lane ready now (its head due, its destination allowed and not backed off, no lease
   * held on it elsewhere) as far as it goes, and returns once they are done; how many lanes it
   * sent. What the background loop does on each wake-up, for tests and tools.
   */
  public int drainOnce() {
    List<Future<?>> started = dispatch();
    for (Future<?> lane : started) {
      try {
        lane.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while the outbox drained", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("an outbox lane failed", e.getCause());
      }
    }
    return started.size();
  }

  /** Starts a task for each ready lane this process is not sending already. */
  private List<Future<?>> dispatch() {
    List<Future<?>> started = new ArrayList<>();
    for (Lane lane : store.readyLanes(now())) {
      if (closed) {
        break;
      }
      if (!allowed.test(lane.destination()) || !inFlight.add(lane)) {
        continue;
      }
      try {
        started.add(lanes.submit(() -> drainWhenFree(lane)));
      } catch (RejectedExecutionException shutDown) {
        inFlight.remove(lane);
        break;
      }
    }
    return started;
  }

  private void drainWhenFree(Lane lane) {
    try {
      lanesAtOnce.acquire();
      try {
        drain(lane);
      } finally {
        lanesAtOnce.release();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn("federation outbox: lane {} of {} failed ({}); the next pass tries again", lane.name(),
          lane.destination(), e.toString());
    } finally {
      inFlight.remove(lane);
    }
  }

  /** Sends {@code lane} batch after batch while this process holds its lease and its head is due. */
  private void drain(Lane lane) {
    Instant now = now();
    if (!store.lease(lane, processId, now, now.plus(LEASE))) {
      return;
    }
    try {
      while (!closed && allowed.test(lane.destination())) {
        now = now();
        List<Entry> batch = store.batch(lane, now);
        if (batch.isEmpty() || !store.renew(lane, processId, now.plus(LEASE)) || !send(lane, batch)) {
          return;
        }
      }
    } finally {
      store.release(lane, processId);
    }
  }

  /** Sends one batch and applies its results; whether the lane goes on. */
  private boolean send(Lane lane, List<Entry> batch) {
    String destination = lane.destination();
    List<DeliveryResult> results;
    try {
      results = sender.send(destination, batch.stream().map(Entry::delivery).toList());
      if (results.size() != batch.size()) {
        throw new PeerUnreachableException("INTERNAL: the peer answered " + results.size() + " results for "
            + batch.size() + " deliveries");
      }
    } catch (PeerUnreachableException e) {
      failedWhole(destination, e.getMessage());
      return false;
    } catch (RuntimeException e) {
      log.error("federation outbox: sending to {} failed unexpectedly", destination, e);
      failedWhole(destination, "INTERNAL: " + e);
      return false;
    }
    Instant now = now();
    Settlement settlement = settlement(batch, results, now);
    store.settle(settlement, now);
    store.recordSuccess(destination, now);
    counter("federation.outbox.sent", destination).increment(settlement.delivered().size());
    for (Rejection rejection : settlement.rejected()) {
      log.warn("federation outbox: {} rejected entry {} of lane {} for good: {}", destination, rejection.id(),
          lane.name(), rejection.error());
    }
    counter("federation.outbox.rejected", destination).increment(settlement.rejected().size());
    settlement.retry().ifPresent(retry -> {
      counter("federation.outbox.failures", destination).increment();
      log.info("federation outbox: {} answered entry {} of lane {} with {}; trying it again at {}", destination,
          retry.id(), lane.name(), retry.error(), retry.nextAttemptAt());
    });
    return settlement.retry().isEmpty();
  }

  private void failedWhole(String destination, String error) {
    Instant next = store.recordFailure(destination, error, now(), backoff);
    counter("federation.outbox.failures", destination).increment();
    log.info("federation outbox: sending to {} failed ({}); trying it again at {}", destination, error, next);
  }

  /**
   * What the peer's results do, in order: OK entries are delivered, final errors set aside, and the
   * first retriable error stops the lane at that entry, the entries after it not attempted.
   */
  private Settlement settlement(List<Entry> batch, List<DeliveryResult> results, Instant now) {
    List<Long> delivered = new ArrayList<>();
    List<Rejection> rejected = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      Entry entry = batch.get(i);
      DeliveryResult result = results.get(i);
      Status.Code code = Status.fromCodeValue(result.getCode()).getCode();
      if (code == Status.Code.OK) {
        delivered.add(entry.id());
      } else if (Retries.retriable(code)) {
        Retry retry = new Retry(entry.id(), describe(code, result), now.plus(backoff.delay(entry.attempts() + 1)));
        return new Settlement(delivered, rejected, Optional.of(retry));
      } else {
        rejected.add(new Rejection(entry.id(), describe(code, result)));
      }
    }
    return new Settlement(delivered, rejected, Optional.empty());
  }

  /** "CODE REASON: message", as the operator reads it. */
  private static String describe(Status.Code code, DeliveryResult result) {
    StringBuilder text = new StringBuilder(code.name());
    if (result.getReason() != ErrorReason.ERROR_REASON_UNSPECIFIED) {
      text.append(' ').append(result.getReason() == ErrorReason.UNRECOGNIZED ? result.getReasonValue() : result.getReason());
    }
    if (!result.getMessage().isEmpty()) {
      text.append(": ").append(result.getMessage());
    }
    return text.toString();
  }

  /** The clock's time at PostgreSQL's precision, so what is stored compares equal to what was meant. */
  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }

  private Counter counter(String name, String destination) {
    return Counter.builder(name).tag("destination", destination).register(meters);
  }

  /** Sets federation.outbox.depth of every destination from the database (0 for one drained since). */
  public void refreshDepths() {
    Map<String, Long> now = store.depths();
    depths.forEach((destination, depth) -> depth.set(now.getOrDefault(destination, 0L)));
    now.forEach((destination, depth) -> depths.computeIfAbsent(destination, d -> {
      AtomicLong gauge = new AtomicLong();
      Gauge.builder("federation.outbox.depth", gauge, AtomicLong::get).tag("destination", d)
          .description("Outbox entries waiting for the destination").register(meters);
      return gauge;
    }).set(depth));
  }

  /** Stops sending; lanes under way finish their batch (their leases are released). */
  @Override
  public void close() {
    closed = true;
    Thread running;
    synchronized (this) {
      running = loop;
      if (subscription != null) {
        subscription.close();
      }
    }
    wake.release();
    if (running != null) {
      try {
        running.join(Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    lanes.shutdown();
    try {
      lanes.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
