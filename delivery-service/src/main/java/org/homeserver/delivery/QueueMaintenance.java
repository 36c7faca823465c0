package org.homeserver.delivery;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queues' background work, until closed: the retention pass every {@code retentionInterval},
 * and the sweep of released bodies every {@code sweepInterval}. A failed run (database away) is
 * logged and the next one catches up.
 */
public final class QueueMaintenance implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(QueueMaintenance.class);
  private final Queues queues;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("queue-maintenance").daemon().factory());

  private QueueMaintenance(Queues queues) {
    this.queues = queues;
  }

  /** Starts both; the first run of each comes after its interval, not at once, to keep start-up light. */
  public static QueueMaintenance start(Queues queues, Duration retentionInterval, Duration sweepInterval) {
    QueueMaintenance jobs = new QueueMaintenance(queues);
    jobs.every(retentionInterval, jobs::retain);
    jobs.every(sweepInterval, jobs::sweep);
    return jobs;
  }

  private void every(Duration interval, Runnable job) {
    scheduler.scheduleWithFixedDelay(() -> {
      try {
        job.run();
      } catch (RuntimeException e) {
        log.error("queue maintenance failed", e);
      }
    }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void retain() {
    PurgeReport report = queues.purgeExpired();
    if (report.queues() > 0) {
      log.info("retention dropped {} entries from {} queues", report.entriesDropped(), report.queues());
    }
  }

  private void sweep() {
    queues.sweepReleasedBodies();
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
