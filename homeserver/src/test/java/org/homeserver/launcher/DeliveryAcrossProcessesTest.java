package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.CommitBundle;
import org.homeserver.api.delivery.v1.GetGroupInfoRequest;
import org.homeserver.api.delivery.v1.ListenResponse;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.TestMessages;
import org.homeserver.mls.message.Commit;
import org.homeserver.platform.grpc.ErrorStatus;
import org.homeserver.platform.testing.TestPostgres;
import org.homeserver.platform.testing.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two homeserver processes sharing one PostgreSQL and one Redis: a message sent through one reaches a
 * Listen stream on the other live, a Listen on one takes over from the other, a group's public state
 * is followed through either, and a process killed outright right after accepting messages loses
 * none of them.
 */
class DeliveryAcrossProcessesTest {

  private static Map<String, String> shared() {
    return Map.of(
        "database.url", TestPostgres.freshDatabase().jdbcUrl(),
        "redis.url", TestRedis.URL,
        "redis.key-prefix", "hs-test-" + UUID.randomUUID() + ":");
  }

  /** Two processes on one database, shared by the tests that keep both running; each test has users of its own. */
  private static HomeserverProcess first;
  private static HomeserverProcess second;
  private static final AtomicInteger PAIRS = new AtomicInteger();

  @BeforeAll
  static void startBoth() throws Exception {
    Map<String, String> shared = shared();
    first = HomeserverProcess.start(shared);
    second = HomeserverProcess.start(shared);
  }

  @AfterAll
  static void stopBoth() {
    second.close();
    first.close();
  }

  /** A test with alice on the first process and bob on the second, in a group alice created with bob. */
  private interface AcrossTwo {
    void run(TestMember alice, TestMember bobOnSecond, byte[] groupId) throws Exception;
  }

  /** Registers a new alice and bob, connects them, puts them in a group, then runs {@code test}. */
  private static void acrossTwoProcesses(AcrossTwo test) throws Exception {
    int pair = PAIRS.incrementAndGet();
    String aliceHandle = "alice" + pair;
    String bobHandle = "bob" + pair;
    TestHomeserver.registerUser(first.channel, aliceHandle);
    TestHomeserver.registerUser(first.channel, bobHandle);
    TestHomeserver.connectAll(first.channel, aliceHandle, bobHandle);
    TestMember alice = TestMember.register(first.channel, aliceHandle);
    TestMember bobOnSecond = TestMember.register(first.channel, bobHandle).via(second.channel);
    test.run(alice, bobOnSecond, alice.createGroupWith(bobOnSecond, Instant.now()));
  }

  @Test
  void listenDeliversLiveAcrossProcessesAndTakesOverAcrossThem() throws Exception {
    acrossTwoProcesses((alice, bobOnSecond, groupId) -> {
      try (ListenProbe listen = ListenProbe.open(bobOnSecond)) {
        assertTrue(listen.nextContent().getEntry().hasWelcome());
        assertEquals(ListenResponse.ItemCase.QUEUE_EMPTY, listen.nextContent().getItemCase());
        for (int i = 0; i < 20; i++) {
          byte[] message = TestMessages.application(groupId, 1, 100);
          alice.send(message);
          assertEquals(ByteString.copyFrom(message), listen.nextContent().getEntry().getMessage().getMlsMessage());
        }

        try (ListenProbe onFirst = ListenProbe.open(bobOnSecond.via(first.channel))) {
          StatusRuntimeException end = listen.end();
          assertEquals(Status.Code.ABORTED, end.getStatus().getCode());
          assertEquals(ErrorReason.LISTEN_TAKEN_OVER.name(), ErrorStatus.errorInfo(end).orElseThrow().getReason());
          List<QueueEntry> backlog = new ArrayList<>();
          ListenResponse next;
          while ((next = onFirst.nextContent()).hasEntry()) {
            backlog.add(next.getEntry());
          }
          assertEquals(21, backlog.size(), "nothing was acknowledged, so the new stream gets everything again");
        }
      }
    });
  }

  @Test
  void proposalsAndCommitsThroughEitherProcessFollowOneGroupState() throws Exception {
    acrossTwoProcesses((alice, bobOnSecond, groupId) -> {
      TestGroup group = TestMember.group(groupId);

      // Each process caches the states it wrote; each commit here must be checked against the state
      // the other process wrote last, or its signature over the GroupContext would not verify.
      for (int round = 0; round < 3; round++) {
        bobOnSecond.sendCommit(group, group.commit(bobOnSecond.member()));
        alice.sendCommit(group, group.commit(alice.member()));
      }
      // A proposal kept in the state by one process, committed by reference through the other.
      byte[] update = group.update(bobOnSecond.member());
      bobOnSecond.send(update);
      group.accept(update);
      TestGroup.Pending byReference = group.commit(alice.member(), List.of(new Commit.ByReference(group.ref(update))));
      alice.delivery().send(SendRequest.newBuilder().setIdempotencyKey(UUID.randomUUID().toString())
          .setCommitBundle(CommitBundle.newBuilder().setCommit(ByteString.copyFrom(byReference.commit()))
              .setGroupInfo(ByteString.copyFrom(byReference.groupInfo()))).build());
      group.apply(byReference);

      assertEquals(8, group.epoch());
      for (TestMember member : List.of(alice.via(second.channel), bobOnSecond.via(first.channel))) {
        var info = member.delivery().getGroupInfo(GetGroupInfoRequest.newBuilder()
            .setGroupId(ByteString.copyFrom(groupId)).build());
        assertEquals(8, info.getEpoch());
        assertEquals(ByteString.copyFrom(group.ratchetTree()), info.getRatchetTree());
      }
    });
  }

  @Test
  void aProcessKilledRightAfterAcceptingLosesNothing() throws Exception {
    Map<String, String> shared = shared();
    List<ByteString> sent = new ArrayList<>();
    TestMember bob;
    try (HomeserverProcess doomed = HomeserverProcess.start(shared)) {
      TestHomeserver.registerUser(doomed.channel, "alice");
      TestHomeserver.registerUser(doomed.channel, "bob");
      TestHomeserver.connectAll(doomed.channel, "alice", "bob");
      TestMember alice = TestMember.register(doomed.channel, "alice");
      bob = TestMember.register(doomed.channel, "bob");
      byte[] groupId = alice.createGroupWith(bob, Instant.now());
      for (int i = 0; i < 100; i++) {
        byte[] message = TestMessages.application(groupId, 1, 100);
        alice.send(message);
        sent.add(ByteString.copyFrom(message));
      }
      doomed.kill();
    }
    try (HomeserverProcess restarted = HomeserverProcess.start(shared)) {
      List<QueueEntry> queued = bob.via(restarted.channel).fetchAll();
      assertTrue(queued.getFirst().hasWelcome());
      assertEquals(sent, queued.subList(1, queued.size()).stream().map(e -> e.getMessage().getMlsMessage()).toList());
    }
  }
}
