package org.homeserver.notifier.push;

import java.time.Duration;
import java.util.Optional;

/** What became of one push attempt. */
public sealed interface PushResult {
  /** The push service or device accepted it. */
  record Delivered() implements PushResult {}

  /** The endpoint no longer exists (HTTP 404 or 410, or the service's equivalent): delete it. */
  record Gone(String reason) implements PushResult {}

  /**
   * A failure worth trying again (429, 5xx, a timeout, a refused connection), no sooner than
   * {@code retryAfter} when the service said so (Retry-After).
   */
  record Retry(String reason, Optional<Duration> retryAfter) implements PushResult {}

  /** A failure trying again cannot mend (another 4xx, an address no longer allowed): drop the push. */
  record Failed(String reason) implements PushResult {}
}
