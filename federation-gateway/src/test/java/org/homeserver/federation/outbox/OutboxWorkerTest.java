package org.homeserver.federation.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.federation.outbox.OutboxStore.DestinationStatus;
import org.homeserver.federation.outbox.OutboxStore.Lane;
import org.homeserver.platform.testing.Eventually;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OutboxWorkerTest {
  private static final String PEER = "other.example";
  private static final String GROUP_A = Outbox.groupLane(new byte[] {0x0a});
  private static final String GROUP_B = Outbox.groupLane(new byte[] {0x0b});
  private final OutboxFixture f = new OutboxFixture();

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  private List<String> enqueueAll(String destination, String lane, String prefix, int count) {
    List<String> keys = IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
    keys.forEach(key -> f.enqueue(destination, lane, key));
    return keys;
  }

  @Test
  void aLaneIsSentInBatchesInTheOrderItWasQueued() {
    List<String> keys = enqueueAll(PEER, GROUP_A, "m", 250);
    OutboxWorker worker = f.worker("p1");

    assertEquals(1, worker.drainOnce());

    assertEquals(keys, f.peer.applied(PEER));
    assertEquals(List.of(100, 100, 50), f.peer.batches().stream().map(List::size).toList());
    DestinationStatus status = f.status(PEER);
    assertEquals(0, status.depth());
    assertTrue(status.lastSuccessAt().isPresent());
    assertEquals(250, f.counter("federation.outbox.sent", PEER));
    assertEquals(0, worker.drainOnce(), "nothing is left to send");
  }

  @Test
  void twoLanesOfADestinationAreSentAtOnce() {
    enqueueAll(PEER, GROUP_A, "a", 3);
    enqueueAll(PEER, GROUP_B, "b", 3);
    // Each lane's call waits for the other's: lanes sent one after the other never meet, and fail.
    CyclicBarrier meet = new CyclicBarrier(2);
    f.peer.onCall(keys -> {
      try {
        meet.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
        throw new IllegalStateException("the lanes were not sent at once", e);
      }
    });

    assertEquals(2, f.worker("p1").drainOnce());

    List<String> applied = f.peer.applied(PEER);
    assertEquals(List.of("a0", "a1", "a2"), applied.stream().filter(k -> k.startsWith("a")).toList());
    assertEquals(List.of("b0", "b1", "b2"), applied.stream().filter(k -> k.startsWith("b")).toList());
    assertEquals(0, f.status(PEER).depth());
  }

  @Test
  void aLaneWaitingForARetryDoesNotHoldBackAnother() {
    enqueueAll(PEER, GROUP_A, "a", 3);
    enqueueAll(PEER, GROUP_B, "b", 3);
    f.peer.answer("a0", Status.Code.UNAVAILABLE, ErrorReason.ERROR_REASON_UNSPECIFIED, "database down");
    OutboxWorker worker = f.worker("p1");

    worker.drainOnce();
    enqueueAll(PEER, GROUP_B, "later", 2);
    worker.drainOnce();

    assertEquals(List.of("b0", "b1", "b2", "later0", "later1"), f.peer.applied(PEER));
    assertEquals(1, f.peer.received("a0"));
    assertEquals(1, f.peer.received("a1"), "sent with a0 and left unattempted by the peer");
    assertEquals(3, f.status(PEER).depth());
    assertEquals(0, f.status(PEER).consecutiveFailures(), "the peer answered: it is not backed off");
  }

  @Test
  void aFinalRejectionSetsTheEntryAsideAndTheLaneGoesOn() {
    enqueueAll(PEER, GROUP_A, "m", 4);
    f.peer.answer("m1", Status.Code.NOT_FOUND, ErrorReason.GROUP_NOT_FOUND, "no such group");

    f.worker("p1").drainOnce();

    assertEquals(List.of("m0", "m2", "m3"), f.peer.applied(PEER));
    DestinationStatus status = f.status(PEER);
    assertEquals(0, status.depth());
    assertEquals(1, status.rejected());
    assertEquals(1, f.counter("federation.outbox.rejected", PEER));
    assertEquals(3, f.counter("federation.outbox.sent", PEER));
    assertEquals(List.of("m1|NOT_FOUND GROUP_NOT_FOUND: no such group"), f.database.jdbi().withHandle(h ->
        h.createQuery("select idempotency_key || '|' || error from outbox_rejected").mapTo(String.class).list()));

    f.worker("p1").drainOnce();
    assertEquals(1, f.peer.received("m1"), "a rejected entry is never sent again");
  }

  @Test
  void aRetriableResultStopsTheLaneAndTriesTheHeadAgainAfterItsBackoff() {
    enqueueAll(PEER, GROUP_A, "m", 3);
    f.peer.answer("m1", Status.Code.RESOURCE_EXHAUSTED, ErrorReason.ERROR_REASON_UNSPECIFIED, "busy");
    OutboxWorker worker = f.worker("p1");

    Instant before = f.clock.instant();
    worker.drainOnce();
    Instant after = f.clock.instant();

    assertEquals(List.of("m0"), f.peer.applied(PEER));
    DestinationStatus status = f.status(PEER);
    assertEquals(2, status.depth());
    Instant retry = status.nextAttemptAt().orElseThrow();
    assertTrue(!retry.isBefore(before.plusMillis(499)) && !retry.isAfter(after.plusMillis(501)),
        "the first retry comes 500 ms later: " + retry + " after a failure between " + before + " and " + after);
    assertEquals(1, f.counter("federation.outbox.failures", PEER));

    f.clock.advance(Duration.ofMillis(600));
    worker.drainOnce();
    assertEquals(2, f.peer.received("m1"));
    worker.drainOnce();
    assertEquals(2, f.peer.received("m1"), "the second retry waits a second");

    f.peer.answerOk("m1");
    f.clock.advance(Duration.ofMillis(1100));
    worker.drainOnce();
    assertEquals(List.of("m0", "m1", "m2"), f.peer.applied(PEER));
    assertEquals(0, f.status(PEER).depth());
  }

  @Test
  void aBatchFailingWholeBacksTheDestinationOffUntilItsBackoffIsReset() {
    enqueueAll(PEER, GROUP_A, "a", 2);
    enqueueAll(PEER, GROUP_B, "b", 2);
    enqueueAll("third.example", Outbox.CONTROL_LANE, "c", 1);
    f.peer.unreachable(PEER, true);
    OutboxWorker worker = f.worker("p1");

    worker.drainOnce();
    DestinationStatus status = f.status(PEER);
    assertEquals(1, status.consecutiveFailures(), "both lanes failed together: one failure");
    assertEquals(Optional.of("UNAVAILABLE: connection refused"), status.lastError());
    assertTrue(status.lastErrorAt().isPresent());
    assertEquals(List.of("c0"), f.peer.applied("third.example"), "another destination is not held back");

    for (int failures = 2; failures <= 4; failures++) {
      f.clock.advance(Backoff.CAP);
      worker.drainOnce();
      assertEquals(failures, f.status(PEER).consecutiveFailures());
    }
    int calls = f.peer.batches().size();
    worker.drainOnce();
    assertEquals(calls, f.peer.batches().size(), "backed off for 5 s: nothing is sent");
    assertTrue(f.status(PEER).nextAttemptAt().orElseThrow().isAfter(f.clock.instant().plusSeconds(3)));

    f.peer.unreachable(PEER, false);
    assertEquals(4, f.outbox.resetBackoff(PEER));
    worker.drainOnce();
    assertEquals(List.of("a0", "a1", "b0", "b1"), f.peer.applied(PEER).stream().sorted().toList());
    status = f.status(PEER);
    assertEquals(0, status.consecutiveFailures());
    assertEquals(Optional.empty(), status.lastError());
    assertTrue(status.lastSuccessAt().isPresent());
    assertEquals(calls - 1, f.counter("federation.outbox.failures", PEER), "every failed call (all but c0's)");
  }

  @Test
  void resettingTheBackoffMakesAnEntryWaitingForItsRetryDueAtOnce() {
    enqueueAll(PEER, GROUP_A, "m", 2);
    f.peer.answer("m0", Status.Code.UNAVAILABLE, ErrorReason.ERROR_REASON_UNSPECIFIED, "");
    OutboxWorker worker = f.worker("p1");
    for (int attempt = 1; attempt <= 6; attempt++) {
      worker.drainOnce();
      f.clock.advance(Backoff.CAP);
    }
    f.clock.advance(Backoff.CAP.negated());
    f.peer.answerOk("m0");
    worker.drainOnce();
    assertEquals(6, f.peer.received("m0"), "waits for its retry");

    assertEquals(2, f.outbox.resetBackoff(PEER));
    worker.drainOnce();
    assertEquals(List.of("m0", "m1"), f.peer.applied(PEER));
  }

  @Test
  void aForbiddenDestinationStaysQueuedUnsentUntilAllowed() {
    enqueueAll(PEER, GROUP_A, "m", 2);
    f.forbidden.add(PEER);
    OutboxWorker worker = f.worker("p1");

    assertEquals(0, worker.drainOnce());
    assertEquals(List.of(), f.peer.batches());
    assertEquals(2, f.status(PEER).depth());

    f.forbidden.remove(PEER);
    worker.drainOnce();
    assertEquals(List.of("m0", "m1"), f.peer.applied(PEER));
  }

  /**
   * Two workers of two processes drain the same lanes at the same time, round after round: no entry
   * is ever being sent by both, and each is sent once. In each round a process's calls wait until
   * the other process has made a call too, or has found nothing to send, so that their calls are in
   * flight together: with the leases broken, they would send the same lane at once.
   */
  @Test
  void twoProcessesNeverSendTheSameEntryAtOnce() throws Exception {
    AtomicReference<Rendezvous> round = new AtomicReference<>();
    OutboxWorker first = f.worker(f.store, "process-a", (destination, batch) -> {
      round.get().arrive(0);
      return f.peer.send(destination, batch);
    });
    OutboxWorker second = f.worker(f.otherProcessStore(), "process-b", (destination, batch) -> {
      round.get().arrive(1);
      return f.peer.send(destination, batch);
    });
    List<String> all = new ArrayList<>();
    try (ExecutorService processes = Executors.newFixedThreadPool(2)) {
      for (int n = 0; n < 20; n++) {
        for (String destination : List.of(PEER, "third.example")) {
          for (String lane : List.of(Outbox.CONTROL_LANE, GROUP_A, GROUP_B)) {
            all.addAll(enqueueAll(destination, lane, destination + "/" + lane + "/" + n + "/", 5));
          }
        }
        Rendezvous rendezvous = new Rendezvous();
        round.set(rendezvous);
        Future<Integer> a = processes.submit(() -> rendezvous.drained(0, first::drainOnce));
        Future<Integer> b = processes.submit(() -> rendezvous.drained(1, second::drainOnce));
        a.get(30, TimeUnit.SECONDS);
        b.get(30, TimeUnit.SECONDS);
      }
    }
    assertEquals(0, f.peer.overlaps());
    for (String key : all) {
      assertEquals(1, f.peer.received(key), key);
    }
    assertEquals(0, f.status(PEER).depth() + f.status("third.example").depth());
  }

  /** Where two processes' sends of one round meet: each counts once, at its first call or at the end of its drain. */
  private static final class Rendezvous {
    private final CountDownLatch both = new CountDownLatch(2);
    private final AtomicBoolean[] arrived = {new AtomicBoolean(), new AtomicBoolean()};

    /** Process {@code process} calls the peer: it goes on once the other has called or finished too. */
    void arrive(int process) {
      count(process);
      try {
        if (!both.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the other process neither called nor finished");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    <T> T drained(int process, Callable<T> drain) throws Exception {
      try {
        return drain.call();
      } finally {
        count(process);
      }
    }

    private void count(int process) {
      if (arrived[process].compareAndSet(false, true)) {
        both.countDown();
      }
    }
  }

  @Test
  void aLaneLeasedByACrashedProcessIsTakenOverWhenTheLeaseExpires() {
    enqueueAll(PEER, GROUP_A, "m", 2);
    Instant now = f.clock.instant();
    f.store.lease(new Lane(PEER, GROUP_A), "crashed", now, now.plus(OutboxWorker.LEASE));
    OutboxWorker worker = f.worker("p1");

    worker.drainOnce();
    assertEquals(List.of(), f.peer.batches());

    f.clock.advance(OutboxWorker.LEASE.plusSeconds(1));
    worker.drainOnce();
    assertEquals(List.of("m0", "m1"), f.peer.applied(PEER));
  }

  @Test
  void aPeerAnsweringTheWrongNumberOfResultsCountsAsAFailedBatch() {
    enqueueAll(PEER, GROUP_A, "m", 2);
    OutboxWorker worker = new OutboxWorker(f.store, (destination, batch) -> List.of(), d -> true, f.signals, f.clock,
        OutboxFixture.LONGEST, f.meters, "p1");
    try (worker) {
      worker.drainOnce();
    }
    DestinationStatus status = f.status(PEER);
    assertEquals(2, status.depth());
    assertEquals(1, status.consecutiveFailures());
    assertEquals(Optional.of("INTERNAL: the peer answered 0 results for 2 deliveries"), status.lastError());
  }

  @Test
  void depthIsMeasuredPerDestination() {
    enqueueAll(PEER, GROUP_A, "m", 3);
    OutboxWorker worker = f.worker("p1");
    worker.refreshDepths();
    assertEquals(3, f.meters.get("federation.outbox.depth").tag("destination", PEER).gauge().value());

    worker.drainOnce();
    worker.refreshDepths();
    assertEquals(0, f.meters.get("federation.outbox.depth").tag("destination", PEER).gauge().value());
  }

  @Test
  void enqueueAndResetSignalTheDestinationToEveryWorker() throws Exception {
    LinkedBlockingQueue<String> heard = new LinkedBlockingQueue<>();
    try (var subscription = f.signals.subscribe(OutboxWorker.CHANNEL,
        message -> heard.add(new String(message, StandardCharsets.UTF_8)))) {
      f.enqueue(PEER, Outbox.CONTROL_LANE, "k");
      f.outbox.resetBackoff("third.example");
      assertEquals(PEER, heard.poll(10, TimeUnit.SECONDS));
      assertEquals("third.example", heard.poll(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void aStartedWorkerSendsWhatIsQueuedWithoutBeingAsked() {
    OutboxWorker worker = f.worker("p1");
    worker.start();
    f.enqueue(PEER, GROUP_A, "m0");
    Eventually.until("the entry is sent", Duration.ofSeconds(10), () -> f.peer.applied(PEER).equals(List.of("m0")));
    Eventually.until("the entry is deleted", Duration.ofSeconds(10), () -> f.status(PEER).depth() == 0);
  }
}
