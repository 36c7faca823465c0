package org.homeserver.notifier.push;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** How every sender reads an HTTP answer: the status, and Retry-After in either of its forms. */
public final class HttpOutcomes {
  private HttpOutcomes() {}

  /**
   * 2xx delivered; 404 and 410 gone; 408, 429 and 5xx retried (after Retry-After if given);
   * anything else failed for good.
   */
  public static PushResult of(int status, Optional<String> retryAfter, Clock clock) {
    String reason = "HTTP " + status;
    if (status >= 200 && status < 300) {
      return new PushResult.Delivered();
    }
    if (status == 404 || status == 410) {
      return new PushResult.Gone(reason);
    }
    if (status == 408 || status == 429 || status >= 500) {
      return new PushResult.Retry(reason, retryAfter.flatMap(value -> retryAfter(value, clock.instant())));
    }
    return new PushResult.Failed(reason);
  }

  /**
   * A Retry-After value (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date; empty if it is
   * neither. A date in the past is a delay of zero.
   */
  public static Optional<Duration> retryAfter(String value, Instant now) {
    String trimmed = value.trim();
    if (trimmed.matches("\\d{1,9}")) {
      return Optional.of(Duration.ofSeconds(Long.parseLong(trimmed)));
    }
    try {
      Instant at = ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      return Optional.of(at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO);
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
