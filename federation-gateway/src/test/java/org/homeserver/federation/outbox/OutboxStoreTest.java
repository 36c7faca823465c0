package org.homeserver.federation.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import org.homeserver.api.federation.v1.Delivery;
import org.homeserver.federation.outbox.OutboxStore.DestinationStatus;
import org.homeserver.federation.outbox.OutboxStore.Entry;
import org.homeserver.federation.outbox.OutboxStore.Lane;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OutboxStoreTest {
  private static final String PEER = "other.example";
  private final OutboxFixture f = new OutboxFixture();

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  @Test
  void enqueueWithAKeyAlreadyWaitingQueuesNothingAndReturnsTheFirstEntry() {
    long first = f.enqueue(PEER, Outbox.CONTROL_LANE, "k1");
    assertEquals(first, f.enqueue(PEER, Outbox.CONTROL_LANE, "k1"));
    assertEquals(first, f.enqueue(PEER, Outbox.groupLane(new byte[] {1}), "k1"));
    assertEquals(1, f.status(PEER).depth());

    long elsewhere = f.enqueue("third.example", Outbox.CONTROL_LANE, "k1");
    assertNotEquals(first, elsewhere);
    assertEquals(1, f.status("third.example").depth());
  }

  @Test
  void aDeliveryWithoutAnIdempotencyKeyIsRefusedAndNothingIsQueued() {
    assertThrows(IllegalArgumentException.class, () -> f.outbox.enqueue(PEER, Outbox.CONTROL_LANE, OutboxFixture.event("")));
    assertThrows(IllegalArgumentException.class,
        () -> f.outbox.enqueue(PEER, Outbox.CONTROL_LANE, Delivery.getDefaultInstance()));
    assertEquals(0, f.status(PEER).depth());
  }

  @Test
  void aBatchHoldsAtMostAHundredEntriesInOrder() {
    for (int i = 0; i < 150; i++) {
      f.enqueue(PEER, Outbox.CONTROL_LANE, "k" + i);
    }
    List<Entry> batch = f.store.batch(new Lane(PEER, Outbox.CONTROL_LANE), f.clock.instant());
    assertEquals(100, batch.size());
    assertEquals("k0", batch.getFirst().idempotencyKey());
    assertEquals("k99", batch.getLast().idempotencyKey());
    assertEquals("k0", Outbox.idempotencyKey(batch.getFirst().delivery()));
  }

  @Test
  void aBatchHoldsAtMostSevenMebibytesButAlwaysTheHead() {
    String lane = Outbox.groupLane(new byte[] {7});
    int threeMiB = 3 * 1024 * 1024;
    for (String key : List.of("a", "b", "c")) {
      f.outbox.enqueue(PEER, lane, OutboxFixture.groupMessage(key, threeMiB));
    }
    assertEquals(List.of("a", "b"), keys(f.store.batch(new Lane(PEER, lane), f.clock.instant())));

    String big = Outbox.groupLane(new byte[] {8});
    f.outbox.enqueue(PEER, big, OutboxFixture.groupMessage("huge", 8 * 1024 * 1024));
    f.outbox.enqueue(PEER, big, OutboxFixture.groupMessage("small", 10));
    assertEquals(List.of("huge"), keys(f.store.batch(new Lane(PEER, big), f.clock.instant())));
  }

  @Test
  void aLaneLeasedElsewhereIsRefusedUntilTheLeaseExpires() {
    Lane lane = new Lane(PEER, Outbox.CONTROL_LANE);
    f.enqueue(PEER, Outbox.CONTROL_LANE, "k1");
    Instant now = f.clock.instant();
    assertTrue(f.store.lease(lane, "a", now, now.plusSeconds(30)));
    assertEquals(List.of(), f.store.readyLanes(now));
    assertFalse(f.store.lease(lane, "b", now, now.plusSeconds(30)));
    assertFalse(f.store.lease(lane, "a", now, now.plusSeconds(30)), "not even its holder leases it twice");
    assertFalse(f.store.renew(lane, "b", now.plusSeconds(30)));

    Instant later = now.plusSeconds(31);
    assertEquals(List.of(lane), f.store.readyLanes(later));
    assertTrue(f.store.lease(lane, "b", later, later.plusSeconds(30)));
    assertFalse(f.store.renew(lane, "a", later.plusSeconds(30)), "the first holder lost it");
    f.store.release(lane, "a");
    assertFalse(f.store.lease(lane, "c", later, later.plusSeconds(30)), "a lost holder's release leaves the lease");
    f.store.release(lane, "b");
    assertTrue(f.store.lease(lane, "c", later, later.plusSeconds(30)));
  }

  @Test
  void anUnknownDestinationHasAnEmptyStatus() {
    assertEquals(new DestinationStatus("nobody.example", 0, Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty(), 0, Optional.empty(), 0), f.status("nobody.example"));
  }

  @Test
  void destinationsAreListedInDomainOrderFromPeersAndEntries() {
    f.enqueue("b.example", Outbox.CONTROL_LANE, "k1");
    f.store.recordSuccess("c.example", f.clock.instant());
    f.enqueue("a.example", Outbox.CONTROL_LANE, "k2");
    assertEquals(List.of("a.example", "b.example", "c.example"), f.store.destinations("", 10));
    assertEquals(List.of("b.example"), f.store.destinations("a.example", 1));
  }

  @Test
  void failuresOfLanesOfABackedOffDestinationCountOnce() {
    Instant now = f.clock.instant().truncatedTo(ChronoUnit.MICROS);
    Instant next = f.store.recordFailure(PEER, "UNAVAILABLE: connection refused", now, OutboxFixture.LONGEST);
    assertEquals(now.plus(Duration.ofMillis(500)), next);
    assertEquals(next, f.store.recordFailure(PEER, "DEADLINE_EXCEEDED: deadline exceeded", now, OutboxFixture.LONGEST));
    DestinationStatus status = f.status(PEER);
    assertEquals(1, status.consecutiveFailures());
    assertEquals(Optional.of("DEADLINE_EXCEEDED: deadline exceeded"), status.lastError());

    Instant later = next.plusMillis(1);
    assertEquals(later.plus(Duration.ofSeconds(1)), f.store.recordFailure(PEER, "UNAVAILABLE: x", later, OutboxFixture.LONGEST));
    assertEquals(2, f.status(PEER).consecutiveFailures());
  }

  private static List<String> keys(List<Entry> batch) {
    return batch.stream().map(Entry::idempotencyKey).toList();
  }
}
