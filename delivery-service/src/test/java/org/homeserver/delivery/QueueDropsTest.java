package org.homeserver.delivery;

import org.homeserver.platform.tasks.Tasks;
import static org.homeserver.delivery.QueueFixture.clients;
import static org.homeserver.delivery.QueueFixture.message;
import static org.homeserver.delivery.QueueFixture.textOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.QueueGap;
import org.homeserver.api.delivery.v1.QueueGapReason;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.platform.signal.LocalSignals;
import org.junit.jupiter.api.Test;

/** What the cap and the retention drop, and the gap events that tell the client, on a real PostgreSQL. */
class QueueDropsTest {

  @Test
  void aFullQueueDropsItsOldestEntriesAndTellsTheClientExactlyWhatItMissed() {
    try (QueueFixture f = QueueFixture.start(new LocalSignals(), new QueueLimits(Duration.ofDays(30), 10), 4)) {
      UUID client = UUID.randomUUID();
      UUID sender = UUID.randomUUID();
      f.send("group-a", "m1", client);
      f.send("group-b", "m2", client);
      for (int i = 3; i <= 10; i++) {
        f.send("group-c", "m" + i, client);
      }

      Enqueued overflow = f.send("group-c", "m11", client, sender);

      List<QueueEntry> queue = f.fetchAll(client);
      assertEquals(10, queue.size(), "the queue holds its cap");
      assertEquals(LongStream.rangeClosed(3, 12).boxed().toList(), queue.stream().map(QueueEntry::getSequence).toList());
      QueueEntry gap = queue.get(8);
      assertEquals(11, gap.getSequence());
      assertEquals(QueueGap.newBuilder().setFirstSequence(1).setLastSequence(2).setDroppedCount(2)
              .setReason(QueueGapReason.QUEUE_GAP_REASON_CAP).build(),
          gap.getEvent().getQueueGap().toBuilder().clearGroupIds().build());
      assertEquals(Set.of("group-a", "group-b"), gap.getEvent().getQueueGap().getGroupIdsList().stream()
          .map(ByteString::toStringUtf8).collect(Collectors.toSet()));
      assertEquals("m11", textOf(queue.get(9)));
      assertEquals(12, overflow.sequenceOf(client).orElseThrow());
      assertEquals(1, overflow.sequenceOf(sender).orElseThrow(), "the other recipient's queue was not full");
      assertEquals(0, f.inconsistencies());
      assertEquals(8 + 1 + 1, f.counts().bodies(), "m1 and m2 are gone; m3..m10, the gap and m11 stay");
    }
  }

  @Test
  void aQueueThatStaysFullAcceptsEverySendAndGetsOneGapPerTenthOfTheCap() {
    try (QueueFixture f = QueueFixture.start(new LocalSignals(), new QueueLimits(Duration.ofDays(30), 100), 4)) {
      UUID client = UUID.randomUUID();
      for (int i = 1; i <= 300; i++) {
        f.send("g", "m" + i, client);
      }

      List<QueueEntry> queue = f.fetchAll(client);

      assertTrue(queue.size() <= 100, "at most the cap: " + queue.size());
      assertEquals("m300", textOf(queue.getLast()));
      long gaps = queue.stream().filter(QueueEntry::hasEvent).count();
      assertTrue(gaps >= 1 && gaps <= 12, "one gap per 9 sends over the cap, not one per send: " + gaps);
      long last = queue.getLast().getSequence();
      assertEquals(LongStream.rangeClosed(last - queue.size() + 1, last).boxed().toList(),
          queue.stream().map(QueueEntry::getSequence).toList(), "what is left is contiguous");
    }
  }

  @Test
  void retentionPurgeDropsExpiredEntriesAndLeavesAGapEvent() {
    try (QueueFixture f = QueueFixture.start()) {
      UUID alice = UUID.randomUUID();
      UUID bob = UUID.randomUUID();
      f.send("old-group", "old 1", alice, bob);
      f.send("old-group", "old 2", alice);
      f.enqueue(Delivery.of(new QueueContent.Event(ServerEvent.getDefaultInstance()), List.of(Recipient.of(alice))));
      f.clock.advance(QueueLimits.DEFAULTS.retention().plusMinutes(1));
      f.send("new-group", "fresh", alice);

      PurgeReport report = f.queues.purgeExpired();

      assertEquals(new PurgeReport(2, 4, 0), report);
      List<QueueEntry> aliceQueue = f.fetchAll(alice);
      assertEquals(List.of(4L, 5L), aliceQueue.stream().map(QueueEntry::getSequence).toList());
      assertEquals("fresh", textOf(aliceQueue.get(0)));
      assertEquals(QueueGap.newBuilder().setFirstSequence(1).setLastSequence(3).setDroppedCount(3)
              .setReason(QueueGapReason.QUEUE_GAP_REASON_RETENTION).addGroupIds(ByteString.copyFromUtf8("old-group")).build(),
          aliceQueue.get(1).getEvent().getQueueGap());
      List<QueueEntry> bobQueue = f.fetchAll(bob);
      assertEquals(1, bobQueue.size());
      assertEquals(2, bobQueue.getFirst().getSequence());
      assertEquals(1, bobQueue.getFirst().getEvent().getQueueGap().getLastSequence());
      QueueStore.Counts counts = f.counts();
      assertEquals(3, counts.bodies(), "the fresh message and the two gap events");
      assertEquals(0, f.inconsistencies());
      assertEquals(new PurgeReport(0, 0, 0), f.queues.purgeExpired(), "gap events are fresh entries");
    }
  }

  @Test
  void retentionLeavesEntriesYoungerThanItAlone() {
    try (QueueFixture f = QueueFixture.start()) {
      UUID client = UUID.randomUUID();
      f.send("g", "recent", client);
      f.clock.advance(QueueLimits.DEFAULTS.retention().minusMinutes(1));

      assertEquals(new PurgeReport(0, 0, 0), f.queues.purgeExpired());
      assertEquals(List.of("recent"), f.texts(client));
    }
  }

  @Test
  void retentionPurgesEveryExpiredQueueAcrossBatches() {
    try (QueueFixture f = QueueFixture.start()) {
      List<UUID> members = clients(Queues.PURGE_BATCH + 50);
      f.enqueue(Delivery.of(message("g", "old"), members.stream().map(Recipient::of).toList()));
      f.clock.advance(QueueLimits.DEFAULTS.retention().plusMinutes(1));

      assertEquals(new PurgeReport(members.size(), members.size(), 0), f.queues.purgeExpired());
      for (UUID member : members) {
        List<QueueEntry> queue = f.fetchAll(member);
        assertEquals(List.of(2L), queue.stream().map(QueueEntry::getSequence).toList());
        assertTrue(queue.getFirst().getEvent().hasQueueGap());
      }
      assertEquals(members.size(), f.counts().bodies(), "one gap event each; the old body is gone");
    }
  }

  @Test
  void maintenancePurgesAndSweepsInTheBackground() throws InterruptedException {
    try (QueueFixture f = QueueFixture.start()) {
      UUID client = UUID.randomUUID();
      f.send("g", "old", client);
      f.clock.advance(QueueLimits.DEFAULTS.retention().plusMinutes(1));

      Tasks tasks = new Tasks();
      try (QueueMaintenance jobs = QueueMaintenance.start(tasks, f.queues, Duration.ofHours(1), Duration.ofHours(1))) {
        tasks.runNow("queue-retention");
        assertEquals(QueueGapReason.QUEUE_GAP_REASON_RETENTION,
            f.fetchAll(client).getFirst().getEvent().getQueueGap().getReason());
        f.queues.ack(client, f.fetchAll(client).getLast().getSequence(), java.util.Map.of());
        tasks.runNow("queue-sweep");
        assertEquals(0, f.store.counts().bodies(), "the sweep deletes the bodies nothing points at");
      }
    }
  }
}
