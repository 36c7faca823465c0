package org.homeserver.platform.tasks;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The periodic tasks of one process, by name: started here, and run at once on request, so a test
 * (or an operator's tool) need not wait an interval for a sweep it can call.
 */
public final class Tasks {
  private final Map<String, Periodic> byName = new ConcurrentHashMap<>();

  /** Runs {@code task} every {@code interval} until the returned handle is closed (see {@link Periodic#every}). */
  public Periodic every(String name, Duration interval, Runnable task) {
    Periodic periodic = Periodic.every(name, interval, task);
    if (byName.putIfAbsent(name, periodic) != null) {
      periodic.close();
      throw new IllegalArgumentException("a task named " + name + " runs already");
    }
    return periodic;
  }

  /**
   * Runs the task {@code name} now, on this thread, after any run in progress; its failure is thrown.
   *
   * @throws IllegalArgumentException if no such task was started
   */
  public void runNow(String name) {
    Periodic periodic = byName.get(name);
    if (periodic == null) {
      throw new IllegalArgumentException("no task named " + name + "; started: " + byName.keySet());
    }
    periodic.runNow();
  }
}
