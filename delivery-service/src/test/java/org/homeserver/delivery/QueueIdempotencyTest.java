package org.homeserver.delivery;

import static org.homeserver.delivery.QueueFixture.message;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.errors.Refusal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Sends under idempotency keys (common.proto IDEMPOTENCY): a retry stores nothing twice. */
class QueueIdempotencyTest {
  private final QueueFixture f = QueueFixture.start();

  @AfterEach
  void close() {
    f.close();
  }

  private static IdempotentRequest keyed(UUID sender, String key, String request) {
    return new IdempotentRequest(sender, key, request.getBytes(StandardCharsets.UTF_8));
  }

  private static Refusal refusal(Runnable call) {
    return assertThrows(Refusal.class, call::run);
  }

  @Test
  void aRetryWithTheSameKeyReturnsTheFirstAnswerAndStoresNothing() throws InterruptedException {
    UUID sender = UUID.randomUUID();
    UUID recipient = UUID.randomUUID();
    BlockingQueue<Long> signalled = new LinkedBlockingQueue<>();
    new QueueSignals(f.signals).subscribe(recipient, signalled::add);
    Delivery send = new Delivery(message("g", "once"), List.of(Recipient.of(recipient)),
        Optional.of(keyed(sender, "key-0123456789abcdef", "request one")));

    Enqueued first = f.enqueue(send);
    QueueStore.Counts afterFirst = f.counts();
    Enqueued retry = f.enqueue(send);
    f.send("g", "marker", recipient);

    assertFalse(first.replayed());
    assertTrue(retry.replayed());
    assertEquals(first.positions(), retry.positions());
    assertEquals(List.of("once", "marker"), f.texts(recipient));
    assertEquals(afterFirst.bodies() + 1, f.counts().bodies(), "only the marker was stored since");
    assertEquals(1L, signalled.poll(5, TimeUnit.SECONDS));
    assertEquals(2L, signalled.poll(5, TimeUnit.SECONDS), "the retry signalled nothing");
  }

  @Test
  void theSameKeyForAnotherRequestIsRefusedAndStoresNothing() {
    UUID sender = UUID.randomUUID();
    UUID recipient = UUID.randomUUID();
    f.enqueue(new Delivery(message("g", "first"), List.of(Recipient.of(recipient)),
        Optional.of(keyed(sender, "key-0123456789abcdef", "request one"))));
    QueueStore.Counts before = f.counts();

    Refusal refused = refusal(() -> f.enqueue(new Delivery(message("g", "second"),
        List.of(Recipient.of(recipient), Recipient.of(UUID.randomUUID())),
        Optional.of(keyed(sender, "key-0123456789abcdef", "request two")))));

    assertEquals(ErrorReason.IDEMPOTENCY_KEY_REUSED, refused.reason());
    assertEquals(before, f.counts());
    assertEquals(List.of("first"), f.texts(recipient));
  }

  @Test
  void idempotencyKeysAreOwnedBySenderAndForgottenAfterADay() {
    UUID alice = UUID.randomUUID();
    UUID bob = UUID.randomUUID();
    UUID recipient = UUID.randomUUID();
    String key = "shared-key-0123456789";
    f.enqueue(new Delivery(message("g", "alice's"), List.of(Recipient.of(recipient)),
        Optional.of(keyed(alice, key, "alice's request"))));

    Enqueued bobs = f.enqueue(new Delivery(message("g", "bob's"), List.of(Recipient.of(recipient)),
        Optional.of(keyed(bob, key, "bob's request"))));
    f.clock.advance(IdempotentRequest.WINDOW.plusMinutes(1));
    Enqueued reused = f.enqueue(new Delivery(message("g", "alice's next day"), List.of(Recipient.of(recipient)),
        Optional.of(keyed(alice, key, "another request"))));

    assertFalse(bobs.replayed());
    assertFalse(reused.replayed());
    assertEquals(List.of("alice's", "bob's", "alice's next day"),
        f.texts(recipient));
    f.clock.advance(Duration.ofMinutes(1));
    assertEquals(1, f.queues.purgeExpired().idempotencyRecordsForgotten(), "bob's record is past the window");
    assertEquals(1, f.counts().idempotencyRecords());
  }

  @Test
  void storedAnswerSurvivesTheRoundTrip() {
    Enqueued enqueued = new Enqueued(List.of(new Enqueued.Position(UUID.randomUUID(), 7),
        new Enqueued.Position(UUID.randomUUID(), Long.MAX_VALUE)), false);
    Enqueued replayed = Enqueued.replay(enqueued.encode());
    assertEquals(enqueued.positions(), replayed.positions());
    assertTrue(replayed.replayed());
    assertArrayEquals(enqueued.encode(), replayed.encode());
  }
}
