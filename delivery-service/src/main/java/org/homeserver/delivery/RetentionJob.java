package org.homeserver.delivery;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the queues' retention pass in the background, every {@code interval}, until closed. */
public final class RetentionJob implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RetentionJob.class);
  private final Queues queues;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("queue-retention").daemon().factory());

  private RetentionJob(Queues queues) {
    this.queues = queues;
  }

  /** Starts the job; the first pass runs after {@code interval}, not at once, to keep start-up light. */
  public static RetentionJob start(Queues queues, Duration interval) {
    RetentionJob job = new RetentionJob(queues);
    job.scheduler.scheduleWithFixedDelay(job::runOnce, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    return job;
  }

  private void runOnce() {
    try {
      PurgeReport report = queues.purgeExpired();
      if (report.queues() > 0) {
        log.info("retention dropped {} entries from {} queues", report.entriesDropped(), report.queues());
      }
    } catch (RuntimeException e) {
      // A failed pass (database away) must not end the schedule; the next one catches up.
      log.error("queue retention pass failed", e);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
