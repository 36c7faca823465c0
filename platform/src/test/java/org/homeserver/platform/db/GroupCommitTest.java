package org.homeserver.platform.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.homeserver.platform.testing.TestPostgres;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Units of a group commit on the real PostgreSQL: many at once share transactions, and a unit that
 * fails (a refusal thrown by its rules, or a statement PostgreSQL refuses) leaves nothing behind
 * and fails alone, while the units batched with it commit.
 */
class GroupCommitTest {
  private static final int UNITS = 400;
  private static ServiceDatabase database;
  private static Transactions db;

  @BeforeAll
  static void open() {
    database = ServiceDatabase.open(TestPostgres.freshDatabase(), "group_commit_test", 4, new SimpleMeterRegistry());
    db = database.transactions();
    db.useHandle(h -> h.execute("""
        create table written (id int primary key, txid bigint not null);
        create table side (id int primary key);"""));
  }

  @AfterAll
  static void close() {
    database.close();
  }

  @Test
  void failingUnitsLeaveNothingAndTheirBatchCommitsTheRest() throws Exception {
    Set<Integer> committed = ConcurrentHashMap.newKeySet();
    Set<Integer> failed = ConcurrentHashMap.newKeySet();
    try (GroupCommit<GroupCommit.Unit<Integer, Void>, Void> commits = GroupCommit.ofUnits(db, Comparator.<Integer>naturalOrder(), GroupCommit.Committed.nothing(), 2, 16, "test");
         ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> calls = new ArrayList<>();
      for (int i = 0; i < UNITS; i++) {
        int id = i;
        calls.add(callers.submit(() -> {
          try {
            commits.run(new GroupCommit.Unit<>(id, h -> write(h, id)));
            committed.add(id);
          } catch (IllegalArgumentException | org.jdbi.v3.core.statement.UnableToExecuteStatementException e) {
            failed.add(id);
          }
          return null;
        }));
      }
      for (Future<?> call : calls) {
        call.get();
      }
    }
    for (int i = 0; i < UNITS; i++) {
      assertEquals(i % 3 == 0, failed.contains(i), "unit " + i + " fails exactly when its rules or its statement do");
    }
    assertEquals(committed, Set.copyOf(db.withHandle(h -> h.createQuery("select id from written")
        .mapTo(Integer.class).list())), "exactly the units that succeeded are written");
    assertEquals(Set.of(), Set.copyOf(db.withHandle(h -> h.createQuery("select id from side where id % 3 = 0")
        .mapTo(Integer.class).list())), "a failed unit's earlier statements were rolled back");
    long transactions = db.withHandle(h -> h.createQuery("select count(distinct txid) from written")
        .mapTo(Long.class).one());
    assertTrue(transactions < committed.size(), "units shared transactions: " + transactions + " for "
        + committed.size());
  }

  /**
   * Writes a row then, for every third unit, fails: by a refusal of its own for even ids, by a
   * statement PostgreSQL refuses (a duplicate key) for odd ones.
   */
  private static Void write(Handle h, int id) {
    h.execute("insert into side (id) values (?)", id);
    if (id % 3 == 0 && id % 2 == 0) {
      throw new IllegalArgumentException("refused");
    }
    if (id % 3 == 0) {
      h.execute("insert into side (id) values (?)", id);
    }
    h.execute("insert into written (id, txid) values (?, txid_current())", id);
    return null;
  }

  /**
   * A batch that writes all its units in one statement: it answers each unit, refused ones written
   * by nobody; one that throws has its units run again, each alone.
   */
  @Test
  void aBatchWideWorkAnswersEachUnitAndAFailedBatchRunsItsUnitsAlone() throws Exception {
    db.useHandle(h -> h.execute("create table batched (id int primary key, txid bigint not null)"));
    Set<Integer> failed = ConcurrentHashMap.newKeySet();
    java.util.concurrent.atomic.AtomicInteger failedBatches = new java.util.concurrent.atomic.AtomicInteger();
    GroupCommit.Batch<Integer, Integer> batch = (h, ids) -> {
      // Ids that are multiples of 7 are refused; a batch holding a multiple of 97 fails as a whole unless alone.
      if (ids.size() > 1 && ids.stream().anyMatch(id -> id % 97 == 0)) {
        failedBatches.incrementAndGet();
        throw new IllegalStateException("this batch fails");
      }
      List<Integer> written = ids.stream().filter(id -> id % 7 != 0).toList();
      h.createUpdate("insert into batched (id, txid) select id, txid_current() from unnest(:ids) as id")
          .bindArray("ids", Integer.class, written).execute();
      return ids.stream().<GroupCommit.Answer<Integer>>map(id -> id % 7 == 0
          ? new GroupCommit.Answer.Refused<>(new IllegalArgumentException("refused " + id))
          : new GroupCommit.Answer.Done<>(id * 2)).toList();
    };
    List<List<Integer>> announced = Collections.synchronizedList(new ArrayList<>());
    try (GroupCommit<Integer, Integer> commits = new GroupCommit<>(db, Integer::intValue, Comparator.naturalOrder(),
        batch, announced::add, 2, 16, "test");
         ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> calls = new ArrayList<>();
      for (int i = 1; i <= UNITS; i++) {
        int id = i;
        calls.add(callers.submit(() -> {
          try {
            assertEquals(id * 2, commits.run(id));
          } catch (IllegalArgumentException e) {
            failed.add(id);
          }
          return null;
        }));
      }
      for (Future<?> call : calls) {
        call.get();
      }
    }
    List<Integer> written = db.withHandle(h -> h.createQuery("select id from batched order by id")
        .mapTo(Integer.class).list());
    assertEquals(java.util.stream.IntStream.rangeClosed(1, UNITS).filter(id -> id % 7 != 0).boxed().toList(), written,
        "every unit not refused is written once, those of failed batches too");
    assertEquals(java.util.stream.IntStream.rangeClosed(1, UNITS).filter(id -> id % 7 == 0).boxed()
        .collect(java.util.stream.Collectors.toSet()), failed);
    long transactions = db.withHandle(h -> h.createQuery("select count(distinct txid) from batched")
        .mapTo(Long.class).one());
    assertTrue(transactions < written.size() / 2, "units shared transactions: " + transactions);
    assertTrue(failedBatches.get() > 0, "batches failed as a whole, and their units were written alone");
    assertEquals(written.stream().map(id -> id * 2).toList(), announced.stream().flatMap(List::stream).sorted().toList(),
        "each committed unit announced once");
    assertTrue(announced.stream().allMatch(results -> results.equals(results.stream().sorted().toList())),
        "announced in the batch's order");
  }

  @Test
  void aUnitAloneRunsInItsOwnTransaction() {
    try (GroupCommit<GroupCommit.Unit<Integer, Integer>, Integer> commits = GroupCommit.ofUnits(db, Comparator.<Integer>naturalOrder(), GroupCommit.Committed.nothing(), 1, 16, "test")) {
      int answer = commits.run(new GroupCommit.Unit<>(1, h -> h.createQuery("select 42").mapTo(Integer.class).one()));
      assertEquals(42, answer);
      IllegalStateException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
          () -> commits.run(new GroupCommit.Unit<>(2, h -> {
            throw new IllegalStateException("no");
          })));
      assertInstanceOf(IllegalStateException.class, refused);
    }
  }
}
