package org.homeserver.platform.db;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group commit: units of work that arrive together run in one transaction, so they share its
 * commit (one WAL flush instead of one each) and its connection. A few committers each take what
 * has gathered, up to {@code maxBatch} units, so a unit alone runs at once and under load the
 * batches grow by themselves. Each unit runs inside a savepoint of its own: one that fails (a
 * refusal) is rolled back alone and fails alone, and the others commit. A batch whose transaction
 * fails as a whole (a deadlock, a lost connection) runs each of its units again in a transaction
 * of its own, as {@link Transactions#inTransaction} would have. Units are run in the order of
 * {@code order}, so batches take their locks in one order.
 */
public final class GroupCommit<K> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

  /** One unit: its work in the caller's transaction, and the key that orders it within a batch. */
  private record Pending<K>(K key, Work<?> work, CompletableFuture<Object> done) {}

  /** Work of one unit, in the batch's transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Handle h);
  }

  private final Transactions db;
  private final Comparator<K> order;
  private final int maxBatch;
  private final LinkedBlockingQueue<Pending<K>> waiting = new LinkedBlockingQueue<>();
  private final ExecutorService committers;
  private volatile boolean closed;

  /**
   * @param committers how many batches may run at once (each holds a connection while it runs)
   * @param maxBatch   units in one transaction at most
   */
  public GroupCommit(Transactions db, Comparator<K> order, int committers, int maxBatch, String name) {
    this.db = db;
    this.order = order;
    this.maxBatch = maxBatch;
    this.committers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(name + "-", 0).factory());
    for (int i = 0; i < committers; i++) {
      this.committers.execute(this::commitLoop);
    }
  }

  /** Runs {@code work} in the next batch and returns its result once that batch has committed. */
  @SuppressWarnings("unchecked")
  public <T> T run(K key, Work<T> work) {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    CompletableFuture<Object> done = new CompletableFuture<>();
    waiting.add(new Pending<>(key, work, done));
    try {
      return (T) done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while its batch committed; the outcome is unknown", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  private void commitLoop() {
    while (!closed) {
      List<Pending<K>> batch = new ArrayList<>();
      try {
        Pending<K> first = waiting.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        waiting.drainTo(batch, maxBatch - 1);
      } catch (InterruptedException e) {
        return;
      }
      batch.sort(Comparator.comparing(Pending::key, order));
      commit(batch);
    }
  }

  private void commit(List<Pending<K>> batch) {
    if (batch.size() == 1) {
      alone(batch.getFirst());
      return;
    }
    List<Object> results = new ArrayList<>();
    List<RuntimeException> refusals = new ArrayList<>();
    try {
      db.inTransactionOnce(h -> {
        results.clear();
        refusals.clear();
        for (Pending<K> unit : batch) {
          h.execute("savepoint unit");
          try {
            results.add(unit.work().run(h));
            refusals.add(null);
            h.execute("release savepoint unit");
          } catch (RuntimeException e) {
            if (DatabaseFailure.isTransient(e)) {
              throw e;   // the transaction itself failed: every unit runs again alone
            }
            h.execute("rollback to savepoint unit");
            h.execute("release savepoint unit");
            results.add(null);
            refusals.add(e);
          }
        }
        return null;
      });
    } catch (RuntimeException e) {
      log.debug("a batch of {} failed as a whole ({}); running its units one by one", batch.size(), e.toString());
      batch.forEach(this::alone);
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      if (refusals.get(i) != null) {
        batch.get(i).done().completeExceptionally(refusals.get(i));
      } else {
        batch.get(i).done().complete(results.get(i));
      }
    }
  }

  private void alone(Pending<K> unit) {
    try {
      unit.done().complete(db.inTransaction(h -> unit.work().run(h)));
    } catch (RuntimeException e) {
      unit.done().completeExceptionally(e);
    }
  }

  /** Lets the batches in progress finish, fails what still waits, and stops. */
  @Override
  public void close() {
    closed = true;
    committers.shutdown();
    try {
      committers.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Pending<K> unit = waiting.poll(); unit != null; unit = waiting.poll()) {
      unit.done().completeExceptionally(new IllegalStateException("the service is shutting down"));
    }
  }
}
