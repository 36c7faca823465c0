package org.homeserver.platform.ratelimit;

import java.time.Duration;
import java.util.Optional;
import org.homeserver.platform.errors.Refusal;

/** Turns a refused attempt into the documented RATE_LIMITED error. */
public final class RateLimits {
  private RateLimits() {}

  /** Counts an attempt for {@code key}; throws RATE_LIMITED with the delay in whole seconds when over. */
  public static void check(RateLimiter limiter, String key, String message) {
    Optional<Duration> wait = limiter.tryAcquire(key);
    if (wait.isPresent()) {
      long seconds = Math.max(1, (wait.get().toMillis() + 999) / 1000);
      throw Refusal.rateLimited(Duration.ofSeconds(seconds), message);
    }
  }
}
