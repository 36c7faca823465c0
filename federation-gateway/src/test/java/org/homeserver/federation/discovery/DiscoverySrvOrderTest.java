package org.homeserver.federation.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** SrvOrder, the RFC 2782 try order, with draws chosen by the test instead of left to chance. */
class DiscoverySrvOrderTest {
  private static final SrvRecord ZERO = new SrvRecord(10, 0, 7443, "zero.test.", 300);
  private static final SrvRecord LIGHT = new SrvRecord(10, 10, 7443, "light.test.", 300);
  private static final SrvRecord HEAVY = new SrvRecord(10, 30, 7443, "heavy.test.", 300);
  private static final SrvRecord BACKUP = new SrvRecord(20, 100, 7443, "backup.test.", 300);

  // Only nextInt(bound) is what SrvOrder draws with; anything else would be a change worth failing on.
  private static RandomGenerator drawing(IntUnaryOperator fromBound) {
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        throw new UnsupportedOperationException();
      }

      @Override
      public int nextInt(int bound) {
        return fromBound.applyAsInt(bound);
      }
    };
  }

  private static List<String> order(List<SrvRecord> records, RandomGenerator random) {
    return SrvOrder.order(records, random).stream().map(SrvRecord::target).toList();
  }

  @Test
  void lowestDrawTakesZeroWeightsFirstThenTheListOrder() {
    assertEquals(List.of("zero.test.", "heavy.test.", "light.test.", "backup.test."),
        order(List.of(BACKUP, HEAVY, LIGHT, ZERO), drawing(bound -> 0)));
  }

  @Test
  void highestDrawTakesTheLastRunningSumFirstButNeverCrossesPriorities() {
    assertEquals(List.of("heavy.test.", "light.test.", "zero.test.", "backup.test."),
        order(List.of(BACKUP, ZERO, LIGHT, HEAVY), drawing(bound -> bound - 1)));
  }

  @Test
  void drawPicksTheFirstRecordWhoseRunningSumReachesIt() {
    // Running sums zero 0, light 10, heavy 40: a draw of 11 lands on heavy.
    assertEquals("heavy.test.", order(List.of(ZERO, LIGHT, HEAVY), drawing(bound -> bound == 41 ? 11 : 0)).getFirst());
  }

  @Test
  void heavierRecordGoesFirstInProportionToItsWeight() {
    Random seeded = new Random(42);
    long heavyFirst = java.util.stream.IntStream.range(0, 4000)
        .filter(i -> SrvOrder.order(List.of(LIGHT, HEAVY), seeded).getFirst() == HEAVY)
        .count();
    // Expected 3000 of 4000 (30 of 40); a uniform or fixed choice would give 2000 or 0 or 4000.
    assertTrue(heavyFirst > 2800 && heavyFirst < 3200, "heavy first " + heavyFirst + " times");
  }
}
