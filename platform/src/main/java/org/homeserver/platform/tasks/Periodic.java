package org.homeserver.platform.tasks;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.homeserver.platform.grpc.PassingFaults;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A background task run every interval until closed; a failed run is logged and the next one still runs. */
public final class Periodic implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Periodic.class);
  /** How long a run under way may take to finish when the task is closed. */
  private static final Duration FINISH = Duration.ofSeconds(10);
  private final ScheduledExecutorService scheduler;
  private final Runnable task;

  private Periodic(String name, Runnable task) {
    this.scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name(name).daemon().factory());
    this.task = task;
  }

  /** Runs {@code task} every {@code interval}, the first time after one interval. */
  public static Periodic every(String name, Duration interval, Runnable task) {
    Periodic periodic = new Periodic(name, task);
    periodic.scheduler.scheduleWithFixedDelay(() -> {
      try {
        periodic.runNow();
      } catch (RuntimeException e) {
        if (PassingFaults.isPassing(e)) {
          log.warn("{} failed ({}); the next run tries again", name, e.toString());
        } else {
          log.error("{} failed", name, e);
        }
      }
    }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    return periodic;
  }

  /** Runs the task once now, on the caller's thread, never at the same time as a scheduled run. */
  public synchronized void runNow() {
    task.run();
  }

  /**
   * Runs no more; a run under way gets {@link #FINISH} to end (interrupting it could break the
   * database connection or the call it is in, and log that as a failure).
   */
  @Override
  public void close() {
    scheduler.shutdown();
    try {
      if (!scheduler.awaitTermination(FINISH.toMillis(), TimeUnit.MILLISECONDS)) {
        scheduler.shutdownNow();
      }
    } catch (InterruptedException e) {
      scheduler.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
