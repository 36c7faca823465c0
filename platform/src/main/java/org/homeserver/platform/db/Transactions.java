package org.homeserver.platform.db;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.concurrent.ThreadLocalRandom;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.HandleConsumer;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's way into its database: transactions and single statements that are run again, on a
 * fresh connection, when PostgreSQL refused or lost them without their taking effect (a deadlock
 * victim, a serialization conflict, a terminated or dropped connection, a pool with no connection
 * to give), for up to {@link #BUDGET}. A failure while committing is not retried: it may have
 * taken effect, so it becomes {@link CommitOutcomeUnknownException}, which the caller's retry with
 * the same idempotency key settles.
 *
 * <p>Statements outside a transaction ({@link #withHandle}) commit by themselves, so one whose
 * connection died after PostgreSQL committed it but before the answer arrived runs twice: they
 * must be idempotent, or answer a repeat with an honest error (a consumed challenge is unknown the
 * second time). Work must have no effect outside the database, since it may run several times.
 * A call made inside another's work joins it (same connection and transaction, no retry of its own).
 * While the database's health check finds it not answering, attempts fail at once (and are retried
 * within the budget) instead of each waiting for the pool's timeout.
 */
public final class Transactions {
  /** How long one piece of work is tried before its last failure is the answer. */
  static final Duration BUDGET = Duration.ofSeconds(10);
  private static final Duration FIRST_PAUSE = Duration.ofMillis(10);
  private static final Duration LONGEST_PAUSE = Duration.ofMillis(500);
  private static final Logger log = LoggerFactory.getLogger(Transactions.class);

  private final Jdbi jdbi;
  private final ThreadLocal<Handle> current = new ThreadLocal<>();
  private final Map<DatabaseFailure, Counter> retries = new EnumMap<>(DatabaseFailure.class);
  private final BooleanSupplier answering;

  /**
   * Counts the retries of each kind in {@code homeserver_database_retries_total{schema, failure}};
   * while {@code answering} says the database does not answer (its health check), attempts fail at
   * once rather than wait for the pool.
   */
  public Transactions(Jdbi jdbi, String schema, MeterRegistry meters, BooleanSupplier answering) {
    this.jdbi = jdbi;
    this.answering = answering;
    for (DatabaseFailure failure : DatabaseFailure.values()) {
      retries.put(failure, Counter.builder("homeserver_database_retries")
          .description("Database calls run again after PostgreSQL refused or lost them without effect")
          .tag("schema", schema).tag("failure", failure.name().toLowerCase(Locale.ROOT)).register(meters));
    }
  }

  /** Runs {@code work} in one transaction (READ COMMITTED), retried as the class says. */
  public <R> R inTransaction(HandleCallback<R, RuntimeException> work) {
    Handle joined = current.get();
    if (joined != null) {
      return joined.isInTransaction() ? work.withHandle(joined) : joined.inTransaction(work);
    }
    return retrying(() -> once(work));
  }

  /**
   * Runs {@code work} in one transaction, once: a failure is the caller's to handle (a
   * {@link GroupCommit} runs the units of a failed batch again one by one).
   */
  <R> R inTransactionOnce(HandleCallback<R, RuntimeException> work) {
    if (current.get() != null) {
      throw new IllegalStateException("a batch cannot join another transaction");
    }
    return once(work);
  }

  private <R> R once(HandleCallback<R, RuntimeException> work) {
    try (Handle h = jdbi.open()) {
      current.set(h);
      try {
        h.begin();
        R result;
        try {
          result = work.withHandle(h);
        } catch (RuntimeException e) {
          rollbackQuietly(h, e);
          throw e;
        }
        commit(h);
        return result;
      } finally {
        current.remove();
      }
    }
  }

  public void useTransaction(HandleConsumer<RuntimeException> work) {
    inTransaction(h -> {
      work.useHandle(h);
      return null;
    });
  }

  /** Runs {@code work}'s statements, each committing by itself, retried as the class says. */
  public <R> R withHandle(HandleCallback<R, RuntimeException> work) {
    Handle joined = current.get();
    if (joined != null) {
      return work.withHandle(joined);
    }
    return retrying(() -> {
      try (Handle h = jdbi.open()) {
        current.set(h);
        try {
          return work.withHandle(h);
        } finally {
          current.remove();
        }
      }
    });
  }

  public void useHandle(HandleConsumer<RuntimeException> work) {
    withHandle(h -> {
      work.useHandle(h);
      return null;
    });
  }

  private static void commit(Handle h) {
    try {
      h.commit();
    } catch (RuntimeException e) {
      if (DatabaseFailure.of(e).rolledBack()) {
        throw e;   // PostgreSQL refused the commit and rolled back: nothing happened
      }
      rollbackQuietly(h, e);
      throw new CommitOutcomeUnknownException(e);
    }
  }

  private static void rollbackQuietly(Handle h, RuntimeException cause) {
    try {
      h.rollback();
    } catch (RuntimeException e) {
      cause.addSuppressed(e);   // the connection is gone; PostgreSQL rolls back by itself
    }
  }

  private interface Attempt<R> {
    R run();
  }

  private <R> R retrying(Attempt<R> attempt) {
    long deadline = System.nanoTime() + BUDGET.toNanos();
    Duration pause = FIRST_PAUSE;
    for (int tries = 1; ; tries++) {
      try {
        if (!answering.getAsBoolean()) {
          throw new DatabaseNotAnsweringException();
        }
        return attempt.run();
      } catch (RuntimeException e) {
        if (e instanceof CommitOutcomeUnknownException || DatabaseFailure.of(e) == DatabaseFailure.OTHER
            || System.nanoTime() + pause.toNanos() > deadline) {
          throw e;
        }
        retries.get(DatabaseFailure.of(e)).increment();
        log.debug("database attempt {} failed ({}); trying again", tries, DatabaseFailure.of(e), e);
        sleep(pause.plusNanos(ThreadLocalRandom.current().nextLong(pause.toNanos() / 2 + 1)));
        pause = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
      }
    }
  }

  private static void sleep(Duration pause) {
    try {
      Thread.sleep(pause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting to retry a database call", e);
    }
  }
}
