package org.homeserver.federation.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class BackoffTest {
  /** Always draws the lowest value. */
  private static final RandomGenerator LOWEST = () -> 0L;

  @Test
  void threeQuickRetriesThenTheBaseDoublingUpToFiveMinutes() {
    Backoff backoff = new Backoff(Duration.ofSeconds(5), LOWEST);
    assertEquals(Duration.ofMillis(500), backoff.ceiling(1));
    assertEquals(Duration.ofSeconds(1), backoff.ceiling(2));
    assertEquals(Duration.ofSeconds(2), backoff.ceiling(3));
    assertEquals(Duration.ofSeconds(5), backoff.ceiling(4));
    assertEquals(Duration.ofSeconds(10), backoff.ceiling(5));
    assertEquals(Duration.ofSeconds(160), backoff.ceiling(9));
    assertEquals(Duration.ofMinutes(5), backoff.ceiling(10));
    assertEquals(Duration.ofMinutes(5), backoff.ceiling(64));
    assertEquals(Duration.ofMinutes(5), backoff.ceiling(Integer.MAX_VALUE));
  }

  @Test
  void aBaseOverTheCapIsCapped() {
    assertEquals(Backoff.CAP, new Backoff(Duration.ofMinutes(6), LOWEST).ceiling(4));
  }

  @Test
  void jitterStaysWithinHalfToAllOfTheCeiling() {
    Backoff backoff = new Backoff(Duration.ofSeconds(5), new SplittableRandom(7));
    for (int failures = 1; failures < 20; failures++) {
      Duration ceiling = backoff.ceiling(failures);
      for (int i = 0; i < 200; i++) {
        Duration delay = backoff.delay(failures);
        assertTrue(delay.compareTo(ceiling.dividedBy(2)) >= 0 && delay.compareTo(ceiling) <= 0,
            delay + " after " + failures + " failures, ceiling " + ceiling);
      }
    }
  }

  @Test
  void jitterReachesBothEnds() {
    assertEquals(Duration.ofMillis(250), new Backoff(Duration.ofSeconds(5), LOWEST).delay(1));
    RandomGenerator highest = new RandomGenerator() {
      @Override
      public long nextLong() {
        throw new UnsupportedOperationException();
      }

      @Override
      public long nextLong(long bound) {
        return bound - 1;
      }
    };
    assertEquals(Duration.ofMinutes(5), new Backoff(Duration.ofSeconds(5), highest).delay(30));
  }

  @Test
  void noFailureHasNoBackoff() {
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(5), LOWEST).ceiling(0));
  }
}
