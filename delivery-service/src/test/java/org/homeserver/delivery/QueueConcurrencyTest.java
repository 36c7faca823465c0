package org.homeserver.delivery;

import static org.homeserver.delivery.QueueFixture.clients;
import static org.homeserver.delivery.QueueFixture.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.signal.LocalSignals;
import org.junit.jupiter.api.Test;

/**
 * Many senders at once into overlapping queues: numbering stays gap-free and unique, and the lock
 * order keeps them from deadlocking (PostgreSQL would abort one of a deadlocked pair, which fails
 * the send and the test).
 */
class QueueConcurrencyTest {
  private static final int THREADS = 8;
  private static final int CLIENTS = 20;

  /** Picks a random non-empty subset of the clients, in random order. */
  private static List<UUID> someOf(List<UUID> clients, Random random) {
    List<UUID> shuffled = new ArrayList<>(clients);
    Collections.shuffle(shuffled, random);
    return List.copyOf(shuffled.subList(0, 1 + random.nextInt(clients.size())));
  }

  private static <T> List<T> runAll(List<Callable<T>> tasks) throws Exception {
    try (ExecutorService pool = Executors.newFixedThreadPool(tasks.size())) {
      List<Future<T>> futures = pool.invokeAll(tasks, 60, TimeUnit.SECONDS);
      List<T> results = new ArrayList<>();
      for (Future<T> future : futures) {
        results.add(future.get()); // a cancelled (timed out) or failed task fails the test here
      }
      return results;
    }
  }

  @Test
  void concurrentSendersToOverlappingRecipientsNeverDuplicateOrSkipASequence() throws Exception {
    try (QueueFixture f = QueueFixture.start(new LocalSignals(), QueueLimits.DEFAULTS, THREADS + 2)) {
      List<UUID> clients = clients(CLIENTS);
      List<Callable<Map<String, Enqueued>>> senders = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        senders.add(() -> {
          Random random = new Random(thread);
          Map<String, Enqueued> sent = new HashMap<>();
          for (int i = 0; i < 200; i++) {
            String text = "t" + thread + "-" + i;
            List<Recipient> recipients = someOf(clients, random).stream().map(Recipient::of).toList();
            sent.put(text, f.enqueue(Delivery.of(message("g", text), recipients)));
          }
          return sent;
        });
      }

      Map<String, Enqueued> sent = new HashMap<>();
      runAll(senders).forEach(sent::putAll);

      for (UUID client : clients) {
        Map<String, Long> expected = new HashMap<>();
        sent.forEach((text, enqueued) -> enqueued.sequenceOf(client).ifPresent(s -> expected.put(text, s)));
        List<QueueEntry> queue = f.fetchAll(client);
        assertEquals(LongStream.rangeClosed(1, expected.size()).boxed().toList(),
            queue.stream().map(QueueEntry::getSequence).toList(), "1..n, each once");
        Map<String, Long> actual = new HashMap<>();
        queue.forEach(e -> actual.put(QueueFixture.textOf(e), e.getSequence()));
        assertEquals(expected, actual, "every send this client was in, at the sequence enqueue answered");
      }
      assertEquals(THREADS * 200, f.counts().bodies());
      assertEquals(0, f.inconsistencies());
    }
  }

  @Test
  void sendsAcksAndRetentionAtOnceOnFullQueuesNeverDeadlockOrLoseTrack() throws Exception {
    // A small cap makes most sends drop entries and release bodies, while acks release the same
    // bodies and purges lock the same heads: every lock path of the schema at once.
    QueueLimits limits = new QueueLimits(Duration.ofMinutes(1), 30);
    try (QueueFixture f = QueueFixture.start(new LocalSignals(), limits, THREADS + 4)) {
      List<UUID> clients = clients(CLIENTS);
      AtomicBoolean sending = new AtomicBoolean(true);
      Map<UUID, Long> maxQueued = new ConcurrentHashMap<>();
      List<Callable<Integer>> tasks = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        tasks.add(() -> {
          Random random = new Random(100 + thread);
          for (int i = 0; i < 120; i++) {
            List<Recipient> recipients = someOf(clients, random).stream().map(Recipient::of).toList();
            Enqueued enqueued = f.enqueue(Delivery.of(message("g" + (i % 3), "t" + thread + "-" + i), recipients));
            enqueued.positions().forEach(p -> maxQueued.merge(p.client(), p.sequence(), Math::max));
          }
          return 0;
        });
      }
      for (int t = 0; t < 2; t++) {
        int thread = t;
        tasks.add(() -> {
          Random random = new Random(200 + thread);
          int acks = 0;
          while (sending.get()) {
            UUID client = clients.get(random.nextInt(clients.size()));
            QueuePage page = f.fetch(client, 0, 10);
            if (!page.entries().isEmpty()) {
              f.queues.ack(client, page.entries().getLast().getSequence(), java.util.Map.of());
              acks++;
            }
          }
          return acks;
        });
      }
      tasks.add(() -> {
        int passes = 0;
        while (sending.get()) {
          f.clock.advance(Duration.ofSeconds(20));
          f.queues.purgeExpired();
          passes++;
        }
        return passes;
      });
      // The ackers and the purger run until the last sender is done.
      List<Callable<Integer>> withStop = new ArrayList<>(tasks.subList(THREADS, tasks.size()));
      withStop.add(() -> {
        try {
          runAll(tasks.subList(0, THREADS));
        } finally {
          sending.set(false);
        }
        return 0;
      });

      List<Integer> done = runAll(withStop);

      assertTrue(done.get(0) + done.get(1) > 0 && done.get(2) > 0, "acks and purges ran among the sends");
      assertTrue(maxQueued.values().stream().anyMatch(s -> s > 2L * limits.cap()), "queues went over the cap");
      for (UUID client : clients) {
        List<QueueEntry> queue = f.fetchAll(client);
        assertTrue(queue.size() <= limits.cap(), "within the cap: " + queue.size());
        if (!queue.isEmpty()) {
          long last = queue.getLast().getSequence();
          assertEquals(LongStream.rangeClosed(last - queue.size() + 1, last).boxed().toList(),
              queue.stream().map(QueueEntry::getSequence).toList(), "contiguous above the floor");
          assertTrue(last >= maxQueued.getOrDefault(client, 0L), "the cap never drops the newest entry");
        }
      }
      assertEquals(0, f.inconsistencies(), "each body counts exactly the entries pointing at it");
    }
  }

  @Test
  void racingRetriesUnderOneKeyStoreOnceAndAllGetTheFirstAnswer() throws Exception {
    try (QueueFixture f = QueueFixture.start(new LocalSignals(), QueueLimits.DEFAULTS, THREADS + 2)) {
      List<UUID> recipients = clients(5);
      Delivery send = new Delivery(message("g", "once"), recipients.stream().map(Recipient::of).toList(),
          Optional.of(new IdempotentRequest(UUID.randomUUID(), "race-0123456789abcdef", new byte[] {1, 2, 3})));
      List<Callable<Enqueued>> retries = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        retries.add(() -> f.enqueue(send));
      }

      List<Enqueued> answers = runAll(retries);

      assertEquals(1, answers.stream().filter(a -> !a.replayed()).count(), "exactly one stored");
      assertEquals(1, answers.stream().map(Enqueued::positions).distinct().count(), "all got its answer");
      assertEquals(new QueueStore.Counts(1, 5, 1), f.counts());
    }
  }
}
