package org.homeserver.delivery;

import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * How long entries are kept and how many a queue holds (delivery.proto: operator settings,
 * defaults 30 days and 10,000 entries), and the rule for what the cap drops.
 */
public record QueueLimits(Duration retention, int cap) {
  public static final QueueLimits DEFAULTS = new QueueLimits(Duration.ofDays(30), 10_000);
  /** A gap event and the entry that caused the drop must both fit, and a tenth must be at least one. */
  static final int MIN_CAP = 10;

  public QueueLimits {
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException("retention must be positive");
    }
    if (cap < MIN_CAP) {
      throw new IllegalArgumentException("the queue cap must be at least " + MIN_CAP);
    }
  }

  /** Entries received before this are expired. */
  Instant expiredBefore(Instant now) {
    return now.minus(retention);
  }

  /**
   * The new floor (every sequence at or below it dropped) when a queue whose live entries are
   * {@code floor + 1 .. last} (the entry being queued included) is over the cap; empty if it fits.
   * The drop leaves room for the gap event that reports it, and takes at least a tenth of the cap,
   * so a queue that stays full gets one gap event per cap/10 sends instead of one per send (a gap
   * event is an entry too, and would otherwise crowd out the messages).
   */
  OptionalLong floorAfterCap(long last, long floor) {
    if (last - floor <= cap) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Math.max(last + 1 - cap, floor + cap / 10));
  }
}
