package org.homeserver.platform.ratelimit;

import java.time.Duration;

/**
 * Counts attempts per key in fixed windows; an attempt over the limit is refused with the time until
 * the window ends. In memory for one process, in Redis when several processes share the limit.
 */
public interface RateLimiter {
  /** Counts one attempt for {@code key}; empty if allowed, else how long to wait. */
  java.util.Optional<Duration> tryAcquire(String key);
}
