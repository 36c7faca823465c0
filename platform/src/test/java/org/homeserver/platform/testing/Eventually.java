package org.homeserver.platform.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition that something running elsewhere (a probe, a reconnect, another process)
 * makes true, checking every few milliseconds up to a deadline: a test waits exactly as long as the
 * system takes, and fails naming what never happened.
 */
public final class Eventually {
  private static final Duration CHECK_EVERY = Duration.ofMillis(10);

  private Eventually() {}

  /** Returns once {@code condition} holds; AssertionError naming {@code what} after {@code timeout}. */
  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout + ": " + what);
      }
      try {
        Thread.sleep(CHECK_EVERY);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting until " + what, e);
      }
    }
  }
}
