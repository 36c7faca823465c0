package org.homeserver.bench.load;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Lines on stderr while a run goes: what it is doing, how long each step took, and a figure every few seconds. */
public final class Progress {
  private static final PrintStream OUT = System.err;
  private final long started = System.nanoTime();

  public void say(String what) {
    OUT.printf("[%6.1fs] %s%n", (System.nanoTime() - started) / 1e9, what);
  }

  /** Runs {@code step}, saying what it is before and how long it took after. */
  public <T> T step(String what, Step<T> step) throws Exception {
    say(what + " ...");
    long start = System.nanoTime();
    T result = step.run();
    say(what + ": done in " + seconds(Duration.ofNanos(System.nanoTime() - start)));
    return result;
  }

  /** Says {@code line.get()} every {@code period} until the returned ticker is closed. */
  public AutoCloseable every(Duration period, Supplier<String> line) {
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("progress").daemon().factory());
    ticker.scheduleAtFixedRate(() -> say(line.get()), period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    return ticker::shutdownNow;
  }

  public static String seconds(Duration d) {
    return String.format("%.1f s", d.toNanos() / 1e9);
  }

  /** A step of a run. */
  public interface Step<T> {
    T run() throws Exception;
  }
}
