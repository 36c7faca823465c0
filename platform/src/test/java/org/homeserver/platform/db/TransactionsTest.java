package org.homeserver.platform.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.homeserver.platform.testing.TestPostgres;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Passing database faults provoked for real on PostgreSQL: a deadlock, a connection terminated in
 * the middle of a transaction, and one terminated while committing.
 */
class TransactionsTest {
  private static final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private static ServiceDatabase database;
  private static Transactions db;

  @BeforeAll
  static void open() {
    database = ServiceDatabase.open(TestPostgres.freshDatabase(), "transactions_test", 4, meters);
    db = database.transactions();
    db.useHandle(h -> h.execute("""
        create table counters (id int primary key, n int not null);
        create table commits_fail (id int);
        create function die() returns trigger language plpgsql as
          $$ begin perform pg_terminate_backend(pg_backend_pid()); return null; end $$;
        create constraint trigger dies_at_commit after insert on commits_fail
          deferrable initially deferred for each row execute function die();"""));
  }

  @AfterAll
  static void close() {
    database.close();
  }

  @BeforeEach
  void reset() {
    db.useHandle(h -> h.execute("delete from counters; insert into counters values (1, 0), (2, 0)"));
  }

  private static int counter(int id) {
    return db.withHandle(h -> h.createQuery("select n from counters where id = :id").bind("id", id).mapTo(Integer.class).one());
  }

  private static double retries(String failure) {
    return meters.get("homeserver_database_retries").tag("schema", "transactions_test").tag("failure", failure)
        .counter().count();
  }

  private static void increment(Handle h, int id) {
    h.createUpdate("update counters set n = n + 1 where id = :id").bind("id", id).execute();
  }

  @Test
  void theVictimOfADeadlockRunsAgainAndBothTransactionsTakeEffect() throws Exception {
    double before = retries("deadlock");
    CyclicBarrier bothHoldOneRow = new CyclicBarrier(2);
    try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
      List<CompletableFuture<Void>> both = List.of(1, 2).stream().map(first -> CompletableFuture.runAsync(() -> {
        AtomicInteger attempts = new AtomicInteger();
        db.useTransaction(h -> {
          increment(h, first);
          if (attempts.incrementAndGet() == 1) {
            await(bothHoldOneRow);   // each holds its first row, then wants the other's
          }
          increment(h, 3 - first);
        });
      }, pool)).toList();
      CompletableFuture.allOf(both.toArray(CompletableFuture[]::new)).get();
    }
    assertEquals(2, counter(1));
    assertEquals(2, counter(2));
    assertEquals(before + 1, retries("deadlock"));
  }

  @Test
  void aConnectionTerminatedBeforeTheCommitIsRetriedOnAFreshOneAndTakesEffectOnce() {
    AtomicInteger attempts = new AtomicInteger();
    db.useTransaction(h -> {
      increment(h, 1);
      if (attempts.incrementAndGet() == 1) {
        h.createQuery("select pg_terminate_backend(pg_backend_pid())").mapTo(Boolean.class).one();
      }
    });
    assertEquals(2, attempts.get());
    assertEquals(1, counter(1));
  }

  @Test
  void aConnectionLostWhileCommittingIsAnUnknownOutcomeAndNotRetried() {
    AtomicInteger attempts = new AtomicInteger();
    CommitOutcomeUnknownException e = assertThrows(CommitOutcomeUnknownException.class, () -> db.useTransaction(h -> {
      attempts.incrementAndGet();
      h.execute("insert into commits_fail values (1)");
    }));
    assertEquals(1, attempts.get());
    assertEquals(DatabaseFailure.CONNECTION, DatabaseFailure.of(e.getCause()));
    assertTrue(DatabaseFailure.isTransient(e));
    // The next call gets a working connection.
    assertEquals(0, counter(2));
  }

  @Test
  void aBrokenRuleIsNotRetried() {
    AtomicInteger attempts = new AtomicInteger();
    RuntimeException e = assertThrows(RuntimeException.class, () -> db.useTransaction(h -> {
      attempts.incrementAndGet();
      h.execute("insert into counters values (1, 0)");
    }));
    assertEquals(1, attempts.get());
    assertEquals(DatabaseFailure.OTHER, DatabaseFailure.of(e));
  }

  @Test
  void aCallInsideAnotherJoinsItsTransaction() {
    assertThrows(IllegalStateException.class, () -> db.useTransaction(h -> {
      increment(h, 1);
      db.useHandle(inner -> increment(inner, 2));
      throw new IllegalStateException("roll back both");
    }));
    assertEquals(0, counter(1));
    assertEquals(0, counter(2));
  }

  private static void await(CyclicBarrier barrier) {
    try {
      barrier.await();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
