package org.homeserver.platform.ratelimit;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.platform.grpc.ApiException;

/** Turns a refused attempt into the documented RATE_LIMITED error. */
public final class RateLimits {
  private RateLimits() {}

  /** Counts an attempt for {@code key}; throws RATE_LIMITED with {@code retry_after_seconds} when over. */
  public static void check(RateLimiter limiter, String key, String message) {
    Optional<Duration> wait = limiter.tryAcquire(key);
    if (wait.isPresent()) {
      long seconds = Math.max(1, (wait.get().toMillis() + 999) / 1000);
      throw ApiException.retryable(ErrorReason.RATE_LIMITED, message,
          Map.of("retry_after_seconds", Long.toString(seconds)), Duration.ofSeconds(seconds));
    }
  }
}
