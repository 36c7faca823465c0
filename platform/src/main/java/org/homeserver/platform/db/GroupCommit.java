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
import java.util.function.ToIntFunction;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group commit: units that arrive together run in one transaction, so they share its commit (one
 * WAL flush instead of one each), its connection and, when their {@link Batch} is written so, its
 * statements (one per kind of row for the whole batch). A few committers each take what has
 * gathered in their lane, up to {@code maxBatch} units, so a unit alone runs at once and under load
 * the batches grow by themselves. A unit's lane is chosen by {@code lane} (a hash of its group, say):
 * the units of one lane commit one batch after the other, in the order they arrived. Units are
 * handed to the batch in the order of {@code order}, so batches take their locks in one order.
 *
 * <p>A batch answers each unit: its result, or the refusal that left it out (a refused unit's
 * writes are the batch's to leave out or undo). A batch that throws failed as a whole (a deadlock, a
 * lost connection, a bug): its units run again, each alone in a transaction of its own, as
 * {@link Transactions#inTransaction} would have run them, and what a unit alone throws is its own
 * failure. {@link #ofUnits} is the batch whose units are closures, each in a savepoint.
 *
 * <p>What a batch committed may be announced by the committer, in the batch's order, before its
 * callers hear of it ({@link Committed}): announcements of one group's messages then go out in the
 * order they were numbered, which one caller thread per unit would not keep.
 */
public final class GroupCommit<I, O> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

  /** The work of one batch in its transaction: one answer per unit, in the order given. */
  @FunctionalInterface
  public interface Batch<I, O> {
    List<Answer<O>> run(Handle h, List<I> units);
  }

  /** What a batch says of one of its units. */
  public sealed interface Answer<O> {
    record Done<O>(O result) implements Answer<O> {}

    /** Left out of the batch: nothing of it is written. */
    record Refused<O>(RuntimeException refusal) implements Answer<O> {}
  }

  /** Told, after a batch committed, the results of its units that were done, in the batch's order. */
  @FunctionalInterface
  public interface Committed<O> {
    void committed(List<O> results);

    static <O> Committed<O> nothing() {
      return results -> {};
    }
  }

  /** Work of one unit of {@link #ofUnits}, in the batch's transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Handle h);
  }

  /** A unit of {@link #ofUnits}: its work and the key that orders it within a batch. */
  public record Unit<K, T>(K key, Work<T> work) {}

  private record Pending<I, O>(I unit, CompletableFuture<O> done) {}

  private final Transactions db;
  private final Comparator<I> order;
  private final Batch<I, O> batch;
  private final Committed<O> committed;
  private final int maxBatch;
  private final ToIntFunction<I> lane;
  private final List<LinkedBlockingQueue<Pending<I, O>>> lanes = new ArrayList<>();
  private final ExecutorService committers;
  private volatile boolean closed;

  /**
   * @param lane       the lane of a unit: units of one lane are committed by one committer, a batch
   *                   after the other, so what one lane's batches lock is locked in their order
   * @param committed  told of each batch once it committed ({@link Committed#nothing} if nobody is)
   * @param committers how many batches may run at once, one per lane (each holds a connection while it runs)
   * @param maxBatch   units in one transaction at most
   */
  public GroupCommit(Transactions db, ToIntFunction<I> lane, Comparator<I> order, Batch<I, O> batch,
      Committed<O> committed, int committers, int maxBatch, String name) {
    this.db = db;
    this.lane = lane;
    this.order = order;
    this.batch = batch;
    this.committed = committed;
    this.maxBatch = maxBatch;
    this.committers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(name + "-", 0).factory());
    for (int i = 0; i < committers; i++) {
      LinkedBlockingQueue<Pending<I, O>> waiting = new LinkedBlockingQueue<>();
      lanes.add(waiting);
      this.committers.execute(() -> commitLoop(waiting));
    }
  }

  /**
   * Units that each run their own statements in the shared transaction, each inside a savepoint of
   * its own: one that throws is rolled back alone and fails alone, and the others commit.
   */
  public static <K, T> GroupCommit<Unit<K, T>, T> ofUnits(Transactions db, Comparator<K> order,
      Committed<T> committed, int committers, int maxBatch, String name) {
    return new GroupCommit<>(db, unit -> unit.key().hashCode(), Comparator.comparing(Unit::key, order),
        GroupCommit::inSavepoints, committed, committers, maxBatch, name);
  }

  private static <K, T> List<Answer<T>> inSavepoints(Handle h, List<Unit<K, T>> units) {
    if (units.size() == 1) {
      return List.of(new Answer.Done<>(units.getFirst().work().run(h)));   // alone: a throw is its own
    }
    List<Answer<T>> answers = new ArrayList<>();
    for (Unit<K, T> unit : units) {
      h.execute("savepoint unit");
      try {
        answers.add(new Answer.Done<>(unit.work().run(h)));
        h.execute("release savepoint unit");
      } catch (RuntimeException e) {
        if (DatabaseFailure.isTransient(e)) {
          throw e;   // the transaction itself failed: every unit runs again alone
        }
        h.execute("rollback to savepoint unit");
        h.execute("release savepoint unit");
        answers.add(new Answer.Refused<>(e));
      }
    }
    return answers;
  }

  /** Runs {@code unit} in the next batch and returns its result once that batch has committed. */
  public O run(I unit) {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    CompletableFuture<O> done = new CompletableFuture<>();
    lanes.get(Math.floorMod(lane.applyAsInt(unit), lanes.size())).add(new Pending<>(unit, done));
    try {
      return done.get();
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

  private void commitLoop(LinkedBlockingQueue<Pending<I, O>> waiting) {
    while (!closed) {
      List<Pending<I, O>> pending = new ArrayList<>();
      try {
        Pending<I, O> first = waiting.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        pending.add(first);
        waiting.drainTo(pending, maxBatch - 1);
      } catch (InterruptedException e) {
        return;
      }
      pending.sort(Comparator.comparing(Pending::unit, order));
      commit(pending);
    }
  }

  private void commit(List<Pending<I, O>> pending) {
    if (pending.size() == 1) {
      alone(pending.getFirst());
      return;
    }
    List<I> units = pending.stream().map(Pending::unit).toList();
    List<Answer<O>> answers;
    try {
      answers = db.inTransactionOnce(h -> batch.run(h, units));
    } catch (RuntimeException e) {
      log.debug("a batch of {} failed as a whole ({}); running its units one by one", pending.size(), e.toString());
      pending.forEach(this::alone);
      return;
    }
    announce(answers);
    for (int i = 0; i < pending.size(); i++) {
      complete(pending.get(i), answers.get(i));
    }
  }

  private void alone(Pending<I, O> unit) {
    Answer<O> answer;
    try {
      answer = db.inTransaction(h -> batch.run(h, List.of(unit.unit()))).getFirst();
    } catch (RuntimeException e) {
      unit.done().completeExceptionally(e);
      return;
    }
    announce(List.of(answer));
    complete(unit, answer);
  }

  private void announce(List<Answer<O>> answers) {
    List<O> results = new ArrayList<>();
    for (Answer<O> answer : answers) {
      if (answer instanceof Answer.Done<O>(O result)) {
        results.add(result);
      }
    }
    try {
      committed.committed(results);
    } catch (RuntimeException e) {
      log.warn("announcing a committed batch failed; its callers are answered", e);
    }
  }

  private void complete(Pending<I, O> unit, Answer<O> answer) {
    switch (answer) {
      case Answer.Done<O>(O result) -> unit.done().complete(result);
      case Answer.Refused<O>(RuntimeException refusal) -> unit.done().completeExceptionally(refusal);
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
    for (LinkedBlockingQueue<Pending<I, O>> waiting : lanes) {
      for (Pending<I, O> unit = waiting.poll(); unit != null; unit = waiting.poll()) {
        unit.done().completeExceptionally(new IllegalStateException("the service is shutting down"));
      }
    }
  }
}
