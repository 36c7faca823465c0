package org.homeserver.bench.load;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/** Runs a task per item on virtual threads, a bounded number at a time: set-up work that must not swamp the server. */
final class Concurrently {
  private Concurrently() {}

  /**
   * The results in the order of {@code items}. After a task fails no more are started, and the
   * first failure is thrown once the running ones ended.
   */
  static <T, R> List<R> map(List<T> items, int limit, Function<T, R> task) throws InterruptedException {
    Semaphore permits = new Semaphore(limit);
    AtomicBoolean failed = new AtomicBoolean();
    List<Future<R>> futures = new ArrayList<>(items.size());
    try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (T item : items) {
        permits.acquire();
        if (failed.get()) {
          break;
        }
        futures.add(executor.submit(() -> {
          try {
            return task.apply(item);
          } catch (RuntimeException e) {
            failed.set(true);
            throw e;
          } finally {
            permits.release();
          }
        }));
      }
    }
    List<R> results = new ArrayList<>(items.size());
    for (Future<R> future : futures) {
      try {
        results.add(future.get());
      } catch (ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
      }
    }
    return results;
  }
}
