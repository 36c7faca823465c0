package org.homeserver.notifier;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.notifier.v1.EndpointKind;
import org.homeserver.notifier.jobs.JobQueue;
import org.homeserver.notifier.jobs.PushJob;
import org.homeserver.notifier.push.EndpointAddress;
import org.homeserver.notifier.push.Push;
import org.homeserver.notifier.push.PushResult;
import org.homeserver.notifier.push.PushSender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workers: take due jobs from the job store and push each on a virtual thread, at most
 * {@code concurrency} at once. A delivered push finishes its job; a gone endpoint is deleted; a
 * failure worth retrying goes back with exponential backoff (and no sooner than Retry-After) until
 * the policy's TTL runs out.
 */
public final class Pushers implements AutoCloseable {
  static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  static final Duration MAX_BACKOFF = Duration.ofMinutes(10);
  static final Duration SUCCESS_RESOLUTION = Duration.ofMinutes(1);
  /** How long the loop waits for a batch of slots to free up while every push slot is busy. */
  private static final Duration GATHER = Duration.ofMillis(20);
  /** How long the loop sleeps when no job is due. */
  private static final Duration IDLE = Duration.ofMillis(100);
  /** How long closing waits for the loop, and then for the pushes under way (each bounded by its request timeout). */
  private static final Duration STOP = Duration.ofSeconds(15);
  private static final Logger log = LoggerFactory.getLogger(Pushers.class);

  private final JobQueue queue;
  private final NotifierStore store;
  private final Map<EndpointKind, PushSender> senders;
  private final AddressGuard guard;
  private final Clock clock;
  private final Semaphore slots;
  private final int batch;
  private final ExecutorService pushes = Executors.newVirtualThreadPerTaskExecutor();
  private final Thread loop;
  private volatile boolean running = true;
  /** Whether the last take failed; only the loop's thread touches it. */
  private boolean failing;

  public Pushers(JobQueue queue, NotifierStore store, Map<EndpointKind, PushSender> senders, AddressGuard guard,
      int concurrency, Clock clock) {
    this.queue = queue;
    this.store = store;
    this.senders = Map.copyOf(senders);
    this.guard = guard;
    this.clock = clock;
    this.slots = new Semaphore(concurrency);
    this.batch = Math.max(1, concurrency / 4);
    this.loop = Thread.ofVirtual().name("pushers").start(this::run);
  }

  private void run() {
    while (running) {
      try {
        if (!slots.tryAcquire(IDLE.toMillis(), TimeUnit.MILLISECONDS)) {
          continue;
        }
        // When busy, gather a batch of free slots (briefly) rather than taking jobs one at a time.
        int gathered = slots.tryAcquire(batch - 1, GATHER.toMillis(), TimeUnit.MILLISECONDS) ? batch - 1 : 0;
        int free = 1 + gathered + slots.drainPermits();
        if (!running) {
          slots.release(free);
          return;
        }
        List<JobQueue.Leased> jobs;
        Map<UUID, Endpoint> endpoints;
        try {
          jobs = queue.take(free, clock.instant());
          endpoints = jobs.isEmpty() ? Map.of()
              : store.endpointsById(jobs.stream().map(j -> j.job().endpointId()).distinct().toList());
        } catch (RuntimeException e) {
          // Jobs taken but not started wait for their lease to run out.
          slots.release(free);
          throw e;
        }
        slots.release(free - jobs.size());
        for (JobQueue.Leased job : jobs) {
          pushes.execute(() -> {
            try {
              push(job, Optional.ofNullable(endpoints.get(job.job().endpointId())));
            } catch (RuntimeException e) {
              log.warn("recording the push of job {} failed ({}); it is tried again when its lease runs out",
                  job.handle(), e.toString());
            } finally {
              slots.release();
            }
          });
        }
        if (jobs.isEmpty()) {
          Thread.sleep(IDLE);
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // An outage of the job store repeats this every second: one line when it starts.
        if (!failing) {
          log.warn("taking push jobs failed ({}); trying again every second", e.toString());
        }
        log.debug("taking push jobs failed", e);
        failing = true;
        sleepQuietly(Duration.ofSeconds(1));
        continue;
      }
      if (failing) {
        log.info("taking push jobs works again");
        failing = false;
      }
    }
  }

  /**
   * Makes one attempt at a job and records its outcome in the job store and on the endpoint (as
   * read when the job was taken; empty if it was deleted).
   */
  void push(JobQueue.Leased leased, Optional<Endpoint> endpoint) {
    PushJob job = leased.job();
    Instant now = clock.instant();
    if (endpoint.isEmpty()) {
      queue.complete(leased);
      return;
    }
    // Rounded up: a push sent at once keeps the policy's TTL.
    long ttlLeft = (Duration.between(now, job.expiresAt()).toMillis() + 999) / 1000;
    if (ttlLeft <= 0) {
      store.recordFailure(job.endpointId(), now, "expired after " + job.attempts() + " attempts");
      queue.complete(leased);
      return;
    }
    PushResult result = attempt(endpoint.get(), withTtl(job.push(), ttlLeft));
    now = clock.instant();
    switch (result) {
      case PushResult.Delivered d -> {
        if (worthRecording(endpoint.get(), now)) {
          store.recordSuccess(job.endpointId(), now);
        }
        queue.complete(leased);
      }
      case PushResult.Gone gone -> {
        log.info("endpoint {} is gone ({}); deleted", job.endpointId(), gone.reason());
        store.deleteGone(job.endpointId());
        queue.complete(leased);
      }
      case PushResult.Failed failed -> {
        store.recordFailure(job.endpointId(), now, failed.reason());
        queue.complete(leased);
      }
      case PushResult.Retry retry -> {
        store.recordFailure(job.endpointId(), now, retry.reason());
        Instant due = now.plus(backoff(job.attempts()));
        if (retry.retryAfter().isPresent() && now.plus(retry.retryAfter().get()).isAfter(due)) {
          due = now.plus(retry.retryAfter().get());
        }
        if (due.isAfter(job.expiresAt())) {
          queue.complete(leased);
        } else {
          queue.retry(leased, job.retried(), due);
        }
      }
    }
  }

  /** A success is written when it changes what ListEndpoints shows by more than a minute: not per push. */
  private static boolean worthRecording(Endpoint endpoint, Instant now) {
    return endpoint.lastFailureAt().isPresent()
        || endpoint.lastSuccessAt().map(at -> at.isBefore(now.minus(SUCCESS_RESOLUTION))).orElse(true);
  }

  private PushResult attempt(Endpoint endpoint, Push push) {
    Optional<URI> url = switch (endpoint.address()) {
      case EndpointAddress.WebPush w -> Optional.of(w.url());
      case EndpointAddress.Webhook w -> Optional.of(w.url());
      default -> Optional.empty();
    };
    // The host may resolve elsewhere than at registration.
    AddressGuard.Refusal refusal = url.map(guard::check).orElse(null);
    if (refusal != null) {
      return new PushResult.Failed(refusal.detail());
    }
    PushSender sender = senders.get(endpoint.kind());
    if (sender == null) {
      return new PushResult.Failed(endpoint.kind() + " is not enabled");
    }
    try {
      return sender.send(endpoint.address(), push);
    } catch (RuntimeException e) {
      log.warn("push to endpoint {} failed", endpoint.id(), e);
      return new PushResult.Retry(e.getClass().getSimpleName(), Optional.empty());
    }
  }

  private static Push withTtl(Push push, long ttlSeconds) {
    return new Push(push.notificationId(), push.count(), push.kind(), Math.min(push.ttlSeconds(), ttlSeconds),
        push.urgency(), push.topic());
  }

  /** 1 s, 2 s, 4 s ... up to 10 minutes, each with up to a fifth more at random so retries spread. */
  static Duration backoff(int attempts) {
    long millis = FIRST_BACKOFF.toMillis() << Math.min(attempts, 20);
    millis = Math.min(millis, MAX_BACKOFF.toMillis());
    return Duration.ofMillis(millis + ThreadLocalRandom.current().nextLong(millis / 5 + 1));
  }

  private static void sleepQuietly(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops taking jobs, then lets the pushes under way finish and record their outcome. The loop is
   * not interrupted: a virtual thread interrupted in a database call breaks its connection. It
   * notices within {@link #IDLE} (or the second it waits after a failed take).
   */
  @Override
  public void close() {
    running = false;
    try {
      if (!loop.join(STOP)) {
        loop.interrupt();
      }
      pushes.shutdown();
      if (!pushes.awaitTermination(STOP.toSeconds(), TimeUnit.SECONDS)) {
        pushes.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
