package org.homeserver.federation.outbox;

import java.time.Duration;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * How long the outbox waits before trying again after the n-th failure in a row (federation.proto,
 * DELIVERY AND RETRIES): three quick retries, then {@code base} doubling with each further failure,
 * capped at {@link #CAP}; each wait is drawn uniformly from half to all of that, so peers that failed
 * together are not all tried again at the same moment. It never gives up.
 */
public final class Backoff {
  /** The longest wait, whatever the number of failures. */
  public static final Duration CAP = Duration.ofMinutes(5);
  private static final List<Duration> QUICK = List.of(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2));

  private final Duration base;
  private final RandomGenerator random;

  public Backoff(Duration base, RandomGenerator random) {
    if (base.isNegative() || base.isZero()) {
      throw new IllegalArgumentException("the backoff base must be positive: " + base);
    }
    this.base = base;
    this.random = random;
  }

  /** The wait after {@code failures} failures in a row (at least 1), before jitter. */
  public Duration ceiling(int failures) {
    if (failures < 1) {
      throw new IllegalArgumentException("a backoff follows at least one failure: " + failures);
    }
    if (failures <= QUICK.size()) {
      return QUICK.get(failures - 1);
    }
    int doublings = failures - QUICK.size() - 1;
    // Past 2^40 any base is over the cap, and the shift would overflow.
    if (doublings >= 40 || base.toMillis() > CAP.toMillis() >> doublings) {
      return CAP;
    }
    return Duration.ofMillis(base.toMillis() << doublings);
  }

  /** The wait after {@code failures} failures in a row, jittered: uniformly within [50%, 100%] of the ceiling. */
  public Duration delay(int failures) {
    long ceiling = ceiling(failures).toMillis();
    long floor = ceiling / 2;
    return Duration.ofMillis(floor + random.nextLong(ceiling - floor + 1));
  }
}
