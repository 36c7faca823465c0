package org.homeserver.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class QueueLimitsTest {
  private final QueueLimits limits = new QueueLimits(Duration.ofDays(30), 10_000);

  @Test
  void aQueueAtItsCapKeepsEverything() {
    assertEquals(OptionalLong.empty(), limits.floorAfterCap(10_000, 0));
    assertEquals(OptionalLong.empty(), limits.floorAfterCap(25_000, 15_000));
  }

  @Test
  void oneOverTheCapDropsATenthOfIt() {
    assertEquals(OptionalLong.of(1_000), limits.floorAfterCap(10_001, 0));
    assertEquals(OptionalLong.of(16_000), limits.floorAfterCap(25_001, 15_000));
  }

  @Test
  void farOverTheCapDropsEnoughToFitTheEntryAndItsGapEvent() {
    // 30,000 live entries after the send; the gap event takes one more slot.
    OptionalLong floor = limits.floorAfterCap(30_000, 0);
    assertEquals(OptionalLong.of(20_001), floor);
    assertEquals(10_000, 30_000 + 1 - floor.getAsLong(), "entries after the drop, gap event included");
  }

  @Test
  void limitsThatCannotHoldAGapAndItsCauseAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new QueueLimits(Duration.ofDays(1), 9));
    assertThrows(IllegalArgumentException.class, () -> new QueueLimits(Duration.ZERO, 10_000));
  }
}
