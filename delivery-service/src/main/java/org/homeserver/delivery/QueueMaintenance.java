package org.homeserver.delivery;

import java.time.Duration;
import org.homeserver.platform.tasks.Periodic;
import org.homeserver.platform.tasks.Tasks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queues' background work, until closed: the retention pass every {@code retentionInterval},
 * and the sweep of released bodies every {@code sweepInterval}. A failed run (database away) is
 * logged and the next one catches up.
 */
public final class QueueMaintenance implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(QueueMaintenance.class);
  private final Periodic retention;
  private final Periodic sweep;

  private QueueMaintenance(Periodic retention, Periodic sweep) {
    this.retention = retention;
    this.sweep = sweep;
  }

  /** Starts both; the first run of each comes after its interval, not at once, to keep start-up light. */
  public static QueueMaintenance start(Tasks tasks, Queues queues, Duration retentionInterval,
                                       Duration sweepInterval) {
    return new QueueMaintenance(tasks.every("queue-retention", retentionInterval, () -> retain(queues)),
        tasks.every("queue-sweep", sweepInterval, queues::sweepReleasedBodies));
  }

  private static void retain(Queues queues) {
    PurgeReport report = queues.purgeExpired();
    if (report.queues() > 0) {
      log.info("retention dropped {} entries from {} queues", report.entriesDropped(), report.queues());
    }
  }

  @Override
  public void close() {
    retention.close();
    sweep.close();
  }
}
