package org.homeserver.delivery;

import static org.homeserver.delivery.QueueFixture.clients;
import static org.homeserver.delivery.QueueFixture.message;
import static org.homeserver.delivery.QueueFixture.textOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.GroupDeleted;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.delivery.v1.WelcomeMessage;
import org.homeserver.api.notifier.v1.NotificationKind;
import org.homeserver.api.notifier.v1.NotificationPolicy;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.signal.Signals;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Fetch, ack, the body stored once, signals after commit and durability, on a real PostgreSQL. */
class QueuesTest {
  private final QueueFixture f = QueueFixture.start();

  @AfterEach
  void close() {
    f.close();
  }

  private static Refusal refusal(Runnable call) {
    return assertThrows(Refusal.class, call::run);
  }

  @Test
  void clientOfflineDuringAThousandMessagesFetchesThemAllInOrder() {
    UUID offline = UUID.randomUUID();
    UUID online = UUID.randomUUID();
    for (int i = 0; i < 1000; i++) {
      f.send("g", "m" + i, offline, online);
    }

    List<QueueEntry> received = new ArrayList<>();
    long after = 0;
    QueuePage page;
    do {
      page = f.fetch(offline, after, 100);
      assertTrue(page.entries().size() <= 100);
      received.addAll(page.entries());
      if (!page.entries().isEmpty()) {
        after = page.entries().getLast().getSequence();
        f.queues.ack(offline, after, java.util.Map.of());
      }
    } while (page.hasMore());

    assertEquals(LongStream.rangeClosed(1, 1000).boxed().toList(),
        received.stream().map(QueueEntry::getSequence).toList());
    for (int i = 0; i < 1000; i++) {
      assertEquals("m" + i, textOf(received.get(i)));
    }
    assertEquals(1000, f.counts().bodies(), "the other recipient still needs every body");
  }

  @Test
  void ackedEntriesAreGoneAndSoAreBodiesNoOtherEntryNeeds() {
    UUID alice = UUID.randomUUID();
    UUID bob = UUID.randomUUID();
    f.send("g", "shared", alice, bob);
    f.send("g", "alice only", alice);

    f.queues.ack(alice, 2, java.util.Map.of());

    assertEquals(List.of(), f.fetchAll(alice));
    assertEquals(List.of("shared"), f.texts(bob));
    assertEquals(1, f.counts().bodies(), "only the body bob still needs is left");

    f.queues.ack(bob, 1, java.util.Map.of());

    QueueStore.Counts counts = f.counts();
    assertEquals(0, counts.entries());
    assertEquals(0, counts.bodies());
  }

  @Test
  void ackingEntriesAlreadyGoneSucceedsAndKeepsTheRest() {
    UUID client = UUID.randomUUID();
    for (int i = 0; i < 3; i++) {
      f.send("g", "m" + i, client);
    }
    f.queues.ack(client, 2, java.util.Map.of());

    f.queues.ack(client, 1, java.util.Map.of());
    f.queues.ack(client, 2, java.util.Map.of());
    f.queues.ack(client, 0, java.util.Map.of());

    assertEquals(List.of(3L), f.sequences(client));
  }

  /**
   * Acks batched into one transaction, one statement per kind of row: each answered on its own, a
   * refused one changing nothing of its client, and two of one client moving it to the higher.
   */
  @Test
  void acksInOneBatchAreAnsweredEachAndARefusedOneChangesNothing() {
    UUID alice = UUID.randomUUID();
    UUID bob = UUID.randomUUID();
    UUID carol = UUID.randomUUID();
    for (int i = 0; i < 4; i++) {
      f.send("g", "m" + i, alice, bob, carol);
    }
    List<org.homeserver.platform.db.GroupCommit.Answer<Queues.Acknowledged>> answers = f.store.inTransaction(h ->
        f.queues.ackAll(h, List.of(new Queues.Ack(alice, 3, java.util.Map.of()), new Queues.Ack(bob, 9, java.util.Map.of()),
            new Queues.Ack(carol, 1, java.util.Map.of()), new Queues.Ack(carol, 2, java.util.Map.of()))));

    assertTrue(answers.get(0) instanceof org.homeserver.platform.db.GroupCommit.Answer.Done);
    assertEquals(ErrorReason.QUEUE_SEQUENCE_INVALID, ((Refusal) ((org.homeserver.platform.db.GroupCommit.Answer.Refused<?>)
        answers.get(1)).refusal()).reason());
    assertTrue(answers.get(2) instanceof org.homeserver.platform.db.GroupCommit.Answer.Done);
    assertTrue(answers.get(3) instanceof org.homeserver.platform.db.GroupCommit.Answer.Done);
    assertEquals(List.of(4L), f.sequences(alice));
    assertEquals(List.of(1L, 2L, 3L, 4L), f.sequences(bob), "the refused ack moved nothing");
    assertEquals(List.of(3L, 4L), f.sequences(carol), "two acks of one client: the higher holds");
  }

  @Test
  void ackBeyondTheLastSequenceIsRefusedAndChangesNothing() {
    UUID client = UUID.randomUUID();
    f.send("g", "kept", client);

    assertEquals(ErrorReason.QUEUE_SEQUENCE_INVALID, refusal(() -> f.queues.ack(client, 2, java.util.Map.of())).reason());
    assertEquals(ErrorReason.QUEUE_SEQUENCE_INVALID, refusal(() -> f.queues.ack(client, -1, java.util.Map.of())).reason(),
        "a uint64 above 2^63 is beyond any sequence");

    assertEquals(List.of("kept"), f.texts(client));
    assertEquals(1, f.counts().bodies());
    f.send("g", "next", client);
    assertEquals(List.of(1L, 2L), f.sequences(client),
        "the refused ack moved nothing");
  }

  @Test
  void aClientWithNoQueueMayAckZeroButNothingElse() {
    UUID stranger = UUID.randomUUID();
    f.queues.ack(stranger, 0, java.util.Map.of());
    assertEquals(ErrorReason.QUEUE_SEQUENCE_INVALID, refusal(() -> f.queues.ack(stranger, 1, java.util.Map.of())).reason());
  }

  @Test
  void fetchReturnsAtMostTheLimitAndSaysWhetherMoreFollow() {
    UUID client = UUID.randomUUID();
    for (int i = 0; i < 5; i++) {
      f.send("g", "m" + i, client);
    }

    QueuePage first = f.fetch(client, 0, 2);
    QueuePage middle = f.fetch(client, 2, 3);
    QueuePage end = f.fetch(client, 5, 3);

    assertEquals(List.of(1L, 2L), first.entries().stream().map(QueueEntry::getSequence).toList());
    assertTrue(first.hasMore());
    assertEquals(List.of(3L, 4L, 5L), middle.entries().stream().map(QueueEntry::getSequence).toList());
    assertFalse(middle.hasMore());
    assertEquals(List.of(), end.entries());
    assertFalse(end.hasMore());
    assertThrows(IllegalArgumentException.class, () -> f.fetch(client, 0, 0));
  }

  @Test
  void fetchStopsBeforeFourMebibytesButAlwaysReturnsOneEntry() {
    UUID client = UUID.randomUUID();
    String mebibyteAndAHalf = "x".repeat(1536 * 1024);
    String threeMebibytes = "y".repeat(3 * 1024 * 1024);
    f.send("g", mebibyteAndAHalf, client);
    f.send("g", mebibyteAndAHalf, client);
    f.send("g", threeMebibytes, client);
    f.send("g", threeMebibytes, client);

    QueuePage twoFit = f.fetch(client, 0, 100);
    QueuePage oneAlone = f.fetch(client, 2, 100);
    QueuePage last = f.fetch(client, 3, 100);

    assertEquals(List.of(1L, 2L), twoFit.entries().stream().map(QueueEntry::getSequence).toList());
    assertTrue(twoFit.hasMore());
    assertEquals(List.of(3L), oneAlone.entries().stream().map(QueueEntry::getSequence).toList());
    assertTrue(oneAlone.hasMore());
    assertEquals(threeMebibytes, textOf(oneAlone.entries().getFirst()));
    assertEquals(List.of(4L), last.entries().stream().map(QueueEntry::getSequence).toList());
    assertFalse(last.hasMore());
  }

  @Test
  void welcomesAndEventsComeBackAsTheyWereQueued() {
    UUID client = UUID.randomUUID();
    WelcomeMessage welcome = WelcomeMessage.newBuilder().setGroupId(ByteString.copyFromUtf8("g")).setEpoch(4)
        .setWelcome(ByteString.copyFromUtf8("welcome bytes")).build();
    ServerEvent event = ServerEvent.newBuilder().setGroupDeleted(GroupDeleted.newBuilder()
        .setGroupId(ByteString.copyFromUtf8("g")).setDeletedByClientId("mimi://example.org/c/bob/x")).build();
    f.enqueue(Delivery.of(new QueueContent.Welcome(welcome), List.of(Recipient.of(client))));
    f.enqueue(Delivery.of(new QueueContent.Event(event), List.of(Recipient.of(client))));

    List<QueueEntry> entries = f.fetchAll(client);

    assertEquals(welcome, entries.get(0).getWelcome());
    assertEquals(event, entries.get(1).getEvent());
    assertTrue(entries.get(0).hasReceivedAt());
  }

  @Test
  void aMessageToAHundredRecipientsIsStoredOnceWithEachRecipientsOwnPolicy() {
    List<UUID> members = clients(100);
    NotificationPolicy silent = NotificationPolicy.newBuilder().setKind(NotificationKind.NOTIFICATION_KIND_SILENT)
        .setCollapseTopic("group-7").build();
    List<Recipient> recipients = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      recipients.add(new Recipient(members.get(i), i % 2 == 0 ? Optional.of(silent) : Optional.empty()));
    }

    Enqueued enqueued = f.enqueue(Delivery.of(message("g", "to everyone"), recipients));

    QueueStore.Counts counts = f.counts();
    assertEquals(1, counts.bodies());
    assertEquals(100, counts.entries());
    assertEquals(members, enqueued.positions().stream().map(Enqueued.Position::client).toList(),
        "positions in the order the recipients were given");
    for (int i = 0; i < members.size(); i++) {
      List<QueueEntry> queue = f.fetchAll(members.get(i));
      assertEquals(1, queue.size());
      assertEquals(1, queue.getFirst().getSequence());
      assertEquals("to everyone", textOf(queue.getFirst()));
      assertEquals(i % 2 == 0, queue.getFirst().getMessage().hasNotificationPolicy());
      if (i % 2 == 0) {
        assertEquals(silent, queue.getFirst().getMessage().getNotificationPolicy());
      }
    }
  }

  @Test
  void malformedDeliveriesAreRefusedBeforeAnythingIsStored() {
    UUID client = UUID.randomUUID();
    NotificationPolicy alert = NotificationPolicy.newBuilder().setKind(NotificationKind.NOTIFICATION_KIND_ALERT).build();
    QueueContent event = new QueueContent.Event(ServerEvent.getDefaultInstance());
    assertThrows(IllegalArgumentException.class,
        () -> Delivery.of(message("g", "twice"), List.of(Recipient.of(client), Recipient.of(client))));
    assertThrows(IllegalArgumentException.class, () -> Delivery.of(message("g", "nobody"), List.of()));
    assertThrows(IllegalArgumentException.class,
        () -> Delivery.of(event, List.of(new Recipient(client, Optional.of(alert)))));
    assertThrows(IllegalArgumentException.class, () -> new QueueContent.Message(
        org.homeserver.api.delivery.v1.GroupMessage.newBuilder().setNotificationPolicy(alert).build()));
  }

  @Test
  void aSignalArrivesOnlyAfterTheEntryIsVisibleToFetch() throws InterruptedException {
    UUID client = UUID.randomUUID();
    BlockingQueue<String> seen = new LinkedBlockingQueue<>();
    // The listener fetches the very sequence the signal names, as Listen will; were the signal
    // published before the commit, this fetch on another connection would race it and miss.
    new QueueSignals(f.signals).subscribe(client, highest -> {
      QueuePage page = f.fetch(client, highest - 1, 1);
      seen.add(page.entries().isEmpty() ? "missing " + highest : textOf(page.entries().getFirst()));
    });

    for (int i = 0; i < 50; i++) {
      f.send("g", "m" + i, client);
    }

    for (int i = 0; i < 50; i++) {
      assertEquals("m" + i, seen.poll(5, TimeUnit.SECONDS));
    }
  }

  @Test
  void anEntryIsInPostgresqlWhenEnqueueReturnsSoACrashBeforeDeliveryLosesNothing() {
    UUID client = UUID.randomUUID();
    Enqueued accepted = f.send("g", "survives", client);
    // The process dies before any delivery: its pool goes away and nobody was listening.
    f.database.close();

    try (ServiceDatabase afterRestart = ServiceDatabase.open(f.location, "delivery", 2)) {
      QueuePage page = f.restarted(afterRestart).read(client, ReadCursor.START, 10);

      assertEquals(1, page.entries().size());
      assertEquals(accepted.sequenceOf(client).orElseThrow(), page.entries().getFirst().getSequence());
      assertEquals("survives", textOf(page.entries().getFirst()));
    }
  }

  @Test
  void signalsCarryTheHighestSequenceAndIgnoreMalformedMessages() throws InterruptedException {
    UUID client = UUID.randomUUID();
    BlockingQueue<Long> signalled = new LinkedBlockingQueue<>();
    Signals.Subscription subscription = new QueueSignals(f.signals).subscribe(client, signalled::add);

    f.signals.publish(QueueSignals.channel(client), "not a number".getBytes(StandardCharsets.US_ASCII));
    f.send("g", "m", client);

    assertEquals(1L, signalled.poll(5, TimeUnit.SECONDS));
    subscription.close();
    f.send("g", "m", client);
    assertNull(signalled.poll(200, TimeUnit.MILLISECONDS));
  }
}
