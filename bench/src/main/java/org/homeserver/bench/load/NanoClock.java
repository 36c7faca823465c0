package org.homeserver.bench.load;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The wall clock as read through {@link System#nanoTime}: set from it once, then advanced by
 * nanoTime alone, so an instant it gave (a push's arrival at the receiver) converts back exactly to
 * the nanoTime the senders stamp their messages with. Over a run it drifts from the wall clock by
 * far less than the VAPID tokens' minutes of slack.
 */
final class NanoClock extends Clock {
  private final Instant origin = Instant.now();
  private final long originNanos = System.nanoTime();

  @Override
  public Instant instant() {
    return origin.plusNanos(System.nanoTime() - originNanos);
  }

  /** The System.nanoTime at which this clock read {@code instant}. */
  long nanoTime(Instant instant) {
    return originNanos + Duration.between(origin, instant).toNanos();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    if (!zone.equals(ZoneOffset.UTC)) {
      throw new UnsupportedOperationException("a NanoClock is in UTC only");
    }
    return this;
  }
}
