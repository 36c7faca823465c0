package org.homeserver.platform.ratelimit;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.homeserver.platform.signal.Redis;

/**
 * Counts attempts per key in fixed windows; an attempt over the limit is refused with the time until
 * the window ends. In memory for one process, in Redis when several processes share the limit.
 */
public interface RateLimiter {
  /** Counts one attempt for {@code key}; empty if allowed, else how long to wait. */
  Optional<Duration> tryAcquire(String key);

  /** Whether {@code key}'s window already holds the limit, without counting an attempt. */
  boolean spent(String key);

  /** Forgets what {@code key}'s window counted. */
  void clear(String key);

  /** {@code limit} attempts per key and {@code window}: shared through Redis if there is one, else in memory. */
  static RateLimiter of(Optional<Redis> redis, String name, int limit, Duration window, Clock clock) {
    return redis.<RateLimiter>map(r -> new RedisRateLimiter(r, name, limit, window, clock))
        .orElseGet(() -> new LocalRateLimiter(limit, window, clock));
  }
}
