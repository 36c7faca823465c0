package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.GetGroupRequest;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.SendResponse;
import org.homeserver.mls.TestGroup;
import org.homeserver.platform.grpc.ErrorStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two members commit for the same epoch at the same moment, 1,000 times over gRPC: each time exactly
 * one wins and the other gets FAILED_PRECONDITION naming the new epoch, and each member's queue holds
 * exactly the other's winning commits, so the epoch never forks.
 */
class DeliveryCommitRaceTest {
  private static final int RACES = 1000;
  private static TestHomeserver server;

  @BeforeAll
  static void start() throws Exception {
    server = TestHomeserver.withUsers("alice", "bob");
    server.connectAll("alice", "bob");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** One side's attempt: its commit and either the answer or the refusal. */
  record Attempt(TestGroup.Pending commit, SendResponse accepted, StatusRuntimeException refused) {}

  @Test
  void ofTwoCommitsForOneEpochExactlyOneWins() throws Exception {
    TestMember alice = TestMember.register(server, "alice");
    TestMember bob = TestMember.register(server, "bob");
    byte[] groupId = alice.createGroupWith(bob, server.clock.instant());
    TestGroup group = TestMember.group(groupId);
    bob.drain();

    List<ByteString> aliceWon = new ArrayList<>();
    List<ByteString> bobWon = new ArrayList<>();
    CyclicBarrier together = new CyclicBarrier(2);
    try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
      for (long epoch = 1; epoch <= RACES; epoch++) {
        long current = epoch;
        TestGroup.Pending byAlice = group.commit(alice.member());
        TestGroup.Pending byBob = group.commit(bob.member());
        CompletableFuture<Attempt> a = CompletableFuture.supplyAsync(() -> attempt(alice, byAlice, together), pool);
        CompletableFuture<Attempt> b = CompletableFuture.supplyAsync(() -> attempt(bob, byBob, together), pool);
        Attempt winner = a.get().accepted() != null ? a.get() : b.get();
        Attempt loser = winner == a.get() ? b.get() : a.get();
        assertEquals(current + 1, winner.accepted().getEpoch(), "the winner of epoch " + current);
        assertEquals(Status.Code.FAILED_PRECONDITION, loser.refused().getStatus().getCode(), "the loser of " + current);
        var info = ErrorStatus.errorInfo(loser.refused()).orElseThrow();
        assertEquals(ErrorReason.WRONG_EPOCH.name(), info.getReason());
        assertEquals(Long.toString(current + 1), info.getMetadataOrThrow("current_epoch"));
        (winner == a.get() ? aliceWon : bobWon).add(ByteString.copyFrom(winner.commit().commit()));
        group.apply(winner.commit());
      }
    }
    assertEquals(RACES + 1, alice.delivery().getGroup(GetGroupRequest.newBuilder()
        .setGroupId(ByteString.copyFrom(groupId)).build()).getGroup().getEpoch());
    assertEquals(bobWon, alice.drain().stream().map(QueueEntry::getMessage).map(m -> m.getMlsMessage()).toList());
    assertEquals(aliceWon, bob.drain().stream().map(QueueEntry::getMessage).map(m -> m.getMlsMessage()).toList());
  }

  /** {@code member} sends {@code commit} once the other racers are ready too; its answer or refusal. */
  static Attempt attempt(TestMember member, TestGroup.Pending commit, CyclicBarrier together) {
    try {
      together.await();
      return new Attempt(commit, member.sendBundle(commit.commit(), null), null);
    } catch (StatusRuntimeException e) {
      return new Attempt(commit, null, e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
