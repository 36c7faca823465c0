package org.homeserver.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Queueing marks a queue unnotified in its transaction; only the notifier's taking it clears the mark. */
class UnnotifiedQueuesTest {
  private final QueueFixture fixture = QueueFixture.start();

  @AfterEach
  void close() {
    fixture.close();
  }

  private List<UUID> unnotified() {
    return fixture.queues.unnotified(fixture.clock.instant().plusSeconds(1), 100).stream()
        .map(QueueStore.Head::client).toList();
  }

  @Test
  void aQueuedEntryMarksItsQueueUntilTheNotifierTookItsNotification() {
    UUID bob = UUID.randomUUID();
    UUID carol = UUID.randomUUID();
    fixture.send("g", "one", bob, carol);
    assertEquals(2, unnotified().size());

    fixture.queues.markNotified(Map.of(bob, 1L));
    assertEquals(List.of(carol), unnotified());
  }

  @Test
  void aHandOverOfOlderEntriesLeavesTheMarkOfANewerOne() {
    UUID bob = UUID.randomUUID();
    fixture.send("g", "one", bob);
    fixture.send("g", "two", bob);

    fixture.queues.markNotified(Map.of(bob, 1L));
    assertEquals(List.of(bob), unnotified(), "entry 2's hand-off has not happened yet");
    fixture.queues.markNotified(Map.of(bob, 2L));
    assertEquals(List.of(), unnotified());
  }

  @Test
  void theSweepSeesOnlyMarksOlderThanItsThresholdOldestFirst() {
    UUID first = UUID.randomUUID();
    UUID second = UUID.randomUUID();
    fixture.send("g", "one", first);
    fixture.clock.advance(Duration.ofSeconds(30));
    fixture.send("g", "two", second);

    assertEquals(List.of(first), fixture.queues.unnotified(fixture.clock.instant().minusSeconds(10), 100).stream()
        .map(QueueStore.Head::client).toList());
    assertEquals(List.of(first, second), unnotified());
  }
}
