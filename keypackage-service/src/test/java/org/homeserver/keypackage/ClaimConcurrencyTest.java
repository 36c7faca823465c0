package org.homeserver.keypackage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.homeserver.api.keypackage.v1.ClaimedKeyPackage;
import org.homeserver.keypackage.StoreFixture.Client;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ClaimConcurrencyTest {
  private final StoreFixture fixture = StoreFixture.start(16);

  @AfterEach
  void close() {
    fixture.close();
  }

  @Test
  void hundredConcurrentClaimsOfFiftyKeyPackagesHandOutEachAtMostOnceThenTheKeptLastOne() throws Exception {
    Client phone = fixture.register("alice");
    Client laptop = fixture.register("alice");
    List<ByteString> published = fixture.keyPackages(phone, 50);
    fixture.publish(phone, published);

    List<ClaimedKeyPackage> claimed = all(100, () -> fixture.claim(laptop).getKeyPackages(0));

    List<ByteString> deleted = claimed.stream().filter(c -> !c.getKept()).map(ClaimedKeyPackage::getKeyPackage).toList();
    List<ByteString> kept = claimed.stream().filter(ClaimedKeyPackage::getKept).map(ClaimedKeyPackage::getKeyPackage).toList();
    assertEquals(49, new HashSet<>(deleted).size(), "each deletable KeyPackage handed out once");
    assertEquals(49, deleted.size());
    assertEquals(51, kept.size());
    assertEquals(Set.of(published.getLast()), new HashSet<>(kept), "the last one, kept, for every later claim");
    assertTrue(published.containsAll(deleted));
    assertEquals(1, fixture.count(phone));
  }

  @Test
  void aClaimRacingPublishesSeesTheWholeOldSetOrTheWholeNewOne() throws Exception {
    Client phone = fixture.register("alice");
    Client laptop = fixture.register("alice");
    List<List<ByteString>> batches = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      batches.add(fixture.keyPackages(phone, 3));
    }
    fixture.publish(phone, batches.getFirst());
    ConcurrentLinkedQueue<ClaimedKeyPackage> claimed = new ConcurrentLinkedQueue<>();

    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<?> publisher = threads.submit(() -> batches.subList(1, batches.size()).forEach(b -> fixture.publish(phone, b)));
      List<Future<?>> claimers = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        claimers.add(threads.submit(() -> {
          while (!publisher.isDone()) {
            // NO_KEY_PACKAGE here would mean a claim saw the old set deleted and the new one not yet there.
            claimed.add(fixture.claim(laptop).getKeyPackages(0));
          }
        }));
      }
      publisher.get();
      for (Future<?> claimer : claimers) {
        claimer.get();
      }
    }

    Set<ByteString> everPublished = new HashSet<>();
    batches.forEach(everPublished::addAll);
    List<ByteString> deleted = claimed.stream().filter(c -> !c.getKept()).map(ClaimedKeyPackage::getKeyPackage).toList();
    assertTrue(claimed.size() > batches.size(), "the claims ran during the publishes: " + claimed.size());
    assertTrue(everPublished.containsAll(claimed.stream().map(ClaimedKeyPackage::getKeyPackage).toList()));
    assertEquals(deleted.size(), new HashSet<>(deleted).size(), "no deletable KeyPackage handed out twice");
  }

  /** Runs {@code n} copies of {@code task} at once and returns their results. */
  private static <T> List<T> all(int n, Callable<T> task) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        futures.add(threads.submit(() -> {
          start.await();
          return task.call();
        }));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> future : futures) {
        results.add(future.get());
      }
      return results;
    }
  }
}
