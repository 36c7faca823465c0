package org.homeserver.delivery;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clears the notification marks of queues whose entries the notifier took, many hand-offs in one
 * statement: while one clearing runs, the next ones gather, and go together when it is done (a
 * group commit). Merging keeps the highest sequence per queue, which is what clearing each in turn
 * would leave. A clearing that fails leaves its marks for the sweep.
 */
final class NotificationMarks implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NotificationMarks.class);
  private final Queues queues;
  private final GroupLogStore groupLog;
  private final ExecutorService clearing = Executors.newSingleThreadExecutor(
      Thread.ofVirtual().name("notification-marks").factory());
  /** Marks to clear, client to highest sequence taken, and log entries; guarded by this. */
  private Map<UUID, Long> pending = new HashMap<>();
  private List<GroupLogStore.LogEntry> pendingLog = new ArrayList<>();
  private boolean running;

  NotificationMarks(Queues queues, GroupLogStore groupLog) {
    this.queues = queues;
    this.groupLog = groupLog;
  }

  /** Clears, soon, the marks of these queues up to these sequences, and of these log entries. */
  void clear(Map<UUID, Long> upTo, List<GroupLogStore.LogEntry> entries) {
    synchronized (this) {
      upTo.forEach((client, sequence) -> pending.merge(client, sequence, Math::max));
      pendingLog.addAll(entries);
      if (running) {
        return;
      }
      running = true;
    }
    try {
      clearing.execute(this::clearPending);
    } catch (RejectedExecutionException closed) {
      // A hand-off that outlived the close: its marks stay for the sweep of the next start.
      synchronized (this) {
        running = false;
      }
    }
  }

  private void clearPending() {
    while (true) {
      Map<UUID, Long> batch;
      List<GroupLogStore.LogEntry> logBatch;
      synchronized (this) {
        if (pending.isEmpty() && pendingLog.isEmpty()) {
          running = false;
          return;
        }
        batch = pending;
        pending = new HashMap<>();
        logBatch = pendingLog;
        pendingLog = new ArrayList<>();
      }
      try {
        queues.markNotified(batch);
        groupLog.markNotified(logBatch.stream().map(GroupLogStore.LogEntry::groupId).toList(),
            logBatch.stream().map(GroupLogStore.LogEntry::sequence).toList());
      } catch (RuntimeException e) {
        log.warn("could not clear the notification marks of {} queues and {} group messages ({}); the sweep hands"
            + " them over again", batch.size(), logBatch.size(), e.toString());
      }
    }
  }

  /** Clears what has gathered, then stops. */
  @Override
  public void close() {
    clearing.shutdown();
    try {
      clearing.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
