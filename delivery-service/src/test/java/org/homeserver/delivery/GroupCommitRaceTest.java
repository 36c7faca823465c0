package org.homeserver.delivery;

import static org.homeserver.delivery.GroupFixture.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.delivery.Groups.Committed;
import org.homeserver.delivery.MemberMap.Add;
import org.homeserver.delivery.MemberMap.Change;
import org.homeserver.delivery.MemberMap.Remove;
import org.homeserver.platform.errors.Refusal;
import org.junit.jupiter.api.Test;

/**
 * Two members commit for the same epoch at once, 1,000 times: each time exactly one wins and the other
 * is told the winner's epoch, and the stored group is what applying the winners' commits in order gives.
 */
class GroupCommitRaceTest {
  private static final int ROUNDS = 1_000;
  private static final byte[] GROUP = id("raced");

  /** What one committer got: the new state if it won, else the error. */
  private record Outcome(int committer, List<Change> changes, Committed committed, Refusal refused) {}

  @Test
  void twoCommitsForTheSameEpochNeverForkIt() throws Exception {
    try (GroupFixture f = GroupFixture.start();
         ExecutorService committers = Executors.newFixedThreadPool(2)) {
      f.groups.create(GROUP, 1, "creator");
      MemberMap expected = MemberMap.create("creator");
      int[] wins = new int[2];
      for (int round = 0; round < ROUNDS; round++) {
        CyclicBarrier start = new CyclicBarrier(2);
        List<Future<Outcome>> futures = new ArrayList<>();
        for (int committer = 0; committer < 2; committer++) {
          futures.add(committers.submit(commitAtOnce(f.groups, start, round, committer,
              changes(expected, round, committer))));
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (Future<Outcome> future : futures) {
          outcomes.add(future.get(30, TimeUnit.SECONDS));
        }
        List<Outcome> winners = outcomes.stream().filter(o -> o.committed() != null).toList();
        assertEquals(1, winners.size(), "round " + round + ": exactly one commit wins");
        Outcome winner = winners.getFirst();
        Outcome loser = outcomes.stream().filter(o -> o.committed() == null).findFirst().orElseThrow();
        assertEquals(ErrorReason.WRONG_EPOCH, loser.refused().reason(), loser.refused().getMessage());
        assertEquals(Long.toString(round + 1), loser.refused().metadata().get("current_epoch"));

        expected = expected.apply(winner.changes());
        assertEquals(round + 1, winner.committed().epoch());
        assertEquals(expected, winner.committed().members(), "round " + round);
        wins[winner.committer()]++;
      }
      Groups.Group group = f.groups.group(GROUP);
      assertEquals(ROUNDS, group.epoch());
      assertEquals(expected, group.members());
      // Both committers won some rounds, so the member map really depends on who won which.
      assertTrue(wins[0] > 0 && wins[1] > 0, "wins " + wins[0] + " / " + wins[1]);
    }
  }

  // Each committer adds a client of its own, and once the group has five members also removes the
  // lowest non-creator leaf, so the map stays small but differs by who won every round.
  private static List<Change> changes(MemberMap current, int round, int committer) {
    List<Change> changes = new ArrayList<>();
    changes.add(new Add("c" + committer + "-" + round));
    if (current.members().size() >= 5) {
      changes.add(new Remove(current.members().get(1).leafIndex()));
    }
    return List.copyOf(changes);
  }

  private static Callable<Outcome> commitAtOnce(Groups groups, CyclicBarrier start, long epoch, int committer,
      List<Change> changes) {
    return () -> {
      start.await(30, TimeUnit.SECONDS);
      try {
        return new Outcome(committer, changes, groups.commit(GROUP, epoch, changes), null);
      } catch (Refusal e) {
        return new Outcome(committer, changes, null, e);
      }
    };
  }
}
