package org.homeserver.keypackage;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.homeserver.platform.db.IdempotentRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Deletes idempotency records past their window, every interval until closed; a failed run is logged. */
final class IdempotencyCleanup implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IdempotencyCleanup.class);
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("keypackage-cleanup").daemon().factory());

  private IdempotencyCleanup() {}

  static IdempotencyCleanup start(KeyPackageStore store, Duration interval, Clock clock) {
    IdempotencyCleanup cleanup = new IdempotencyCleanup();
    cleanup.scheduler.scheduleWithFixedDelay(() -> {
      try {
        store.deleteIdempotencyRecordsBefore(clock.instant().minus(IdempotentRequest.WINDOW));
      } catch (RuntimeException e) {
        log.error("deleting expired idempotency records failed", e);
      }
    }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    return cleanup;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
