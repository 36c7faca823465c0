package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.SendResponse;
import org.homeserver.mls.TestMessages;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.platform.grpc.ErrorStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The group log (delivery.proto QUEUES): each group's accepted messages numbered without gaps in one
 * order however many commits race for an epoch, and each member reading exactly the stretch from the
 * message after the one that added it to the one that removed it. A process killed between accepting
 * and delivering loses nothing: DeliveryAcrossProcessesTest.aProcessKilledRightAfterAcceptingLosesNothing.
 */
class GroupLogTest {
  private static final int RACING_COMMITS = 1000;
  private static final int COMMITTERS = 8;
  private static TestHomeserver server;

  @BeforeAll
  static void start() throws Exception {
    server = TestHomeserver.withUsers("alice", "bob", "carol");
    server.connectAll("alice", "bob", "carol");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void racingCommitsAreNumberedWithoutGapsInTheOrderTheyWereAccepted() throws Exception {
    TestMember reader = TestMember.register(server, "carol");
    List<TestMember> committers = new ArrayList<>();
    for (int i = 0; i < COMMITTERS; i++) {
      committers.add(TestMember.register(server, i % 2 == 0 ? "alice" : "bob"));
    }
    List<TestMember> members = new ArrayList<>(committers.subList(1, COMMITTERS));
    members.add(reader);
    byte[] groupId = committers.getFirst().createGroupWith(members, server.clock.instant());
    AtomicLong epoch = new AtomicLong(1);
    AtomicInteger attempts = new AtomicInteger();
    List<SendResponse> accepted = Collections.synchronizedList(new ArrayList<>());
    List<ByteString> acceptedBytes = Collections.synchronizedList(new ArrayList<>());
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> work = new ArrayList<>();
      for (int leaf = 0; leaf < COMMITTERS; leaf++) {
        TestMember committer = committers.get(leaf);
        long myLeaf = leaf;
        work.add(pool.submit(() -> {
          while (attempts.getAndIncrement() < RACING_COMMITS) {
            long at = epoch.get();
            byte[] commit = TestMessages.commitByValue(groupId, at, myLeaf);
            try {
              SendResponse response = committer.sendBundle(commit, null);
              epoch.accumulateAndGet(response.getEpoch(), Math::max);
              synchronized (accepted) {
                accepted.add(response);
                acceptedBytes.add(ByteString.copyFrom(commit));
              }
            } catch (StatusRuntimeException e) {
              assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.toString());
              assertEquals(ErrorReason.WRONG_EPOCH.name(), ErrorStatus.errorInfo(e).orElseThrow().getReason());
              epoch.accumulateAndGet(Long.parseLong(ErrorStatus.errorInfo(e).orElseThrow()
                  .getMetadataOrThrow("current_epoch")), Math::max);
            }
          }
          return null;
        }));
      }
      for (Future<?> future : work) {
        future.get();
      }
    }
    assertTrue(accepted.size() > COMMITTERS, "commits were accepted while racing: " + accepted.size());

    // The answers: one number each, consecutive after the commit that added the others (sequence 1),
    // and each commit advanced the epoch by exactly one.
    Map<Long, ByteString> bySequence = new TreeMap<>();
    for (int i = 0; i < accepted.size(); i++) {
      SendResponse response = accepted.get(i);
      assertEquals(null, bySequence.put(response.getSequence(), acceptedBytes.get(i)), "one message per number");
      assertEquals(response.getSequence(), response.getEpoch(), "commit n of the log moved the group to epoch n");
    }
    assertEquals(2L, bySequence.keySet().iterator().next());
    assertEquals(accepted.size() + 1L, (long) ((TreeMap<Long, ByteString>) bySequence).lastKey());

    // The reader, who sent none of them, receives every one once, in that order, numbered alike.
    List<QueueEntry> received = reader.drain().stream().filter(QueueEntry::hasMessage).toList();
    assertEquals(List.copyOf(bySequence.keySet()), received.stream().map(QueueEntry::getSequence).toList());
    assertEquals(List.copyOf(bySequence.values()), received.stream().map(e -> e.getMessage().getMlsMessage()).toList());
  }

  @Test
  void aMemberReadsFromTheMessageAfterItsAddToItsRemoval() {
    TestMember alice = TestMember.register(server, "alice");
    TestMember bob = TestMember.register(server, "bob");
    TestMember carol = TestMember.register(server, "carol");
    byte[] groupId = alice.createGroupWith(bob, server.clock.instant());
    List<ByteString> beforeCarol = sendApplications(alice, groupId, 1, 5);

    KeyPackage carols = carol.keyPackage(server.clock.instant());
    byte[] addCarol = TestMessages.commitByValue(groupId, 1, 0, new Proposal.Add(carols));
    long added = alice.sendBundle(addCarol, TestMessages.welcome(alice.suite, List.of(carols))).getSequence();
    List<ByteString> withCarol = sendApplications(alice, groupId, 2, 3);

    byte[] removeBob = TestMessages.commitByValue(groupId, 2, 0, new Proposal.Remove(1));
    long removed = alice.send(removeBob).getSequence();
    List<ByteString> afterBob = sendApplications(alice, groupId, 3, 4);

    // Carol: her Welcome, then what came after the commit that added her, nothing before it.
    List<QueueEntry> carolsQueue = carol.drain();
    assertTrue(carolsQueue.getFirst().hasWelcome());
    List<QueueEntry> carolsMessages = carolsQueue.subList(1, carolsQueue.size());
    List<ByteString> expected = new ArrayList<>(withCarol);
    expected.add(ByteString.copyFrom(removeBob));
    expected.addAll(afterBob);
    assertEquals(expected, messagesOf(carolsMessages));
    assertTrue(carolsMessages.stream().allMatch(e -> e.getSequence() > added), "nothing from before sequence " + added);

    // Bob: everything from his add on, up to and including the commit that removed him; nothing after it.
    List<QueueEntry> bobsQueue = bob.drain();
    List<ByteString> bobExpected = new ArrayList<>(beforeCarol);
    bobExpected.add(ByteString.copyFrom(addCarol));
    bobExpected.addAll(withCarol);
    bobExpected.add(ByteString.copyFrom(removeBob));
    assertEquals(bobExpected, messagesOf(bobsQueue.subList(1, bobsQueue.size())));
    assertEquals(removed, bobsQueue.getLast().getSequence());
  }

  private static List<ByteString> sendApplications(TestMember sender, byte[] groupId, long epoch, int n) {
    List<ByteString> sent = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] message = TestMessages.application(groupId, epoch, 64);
      sender.send(message);
      sent.add(ByteString.copyFrom(message));
    }
    return sent;
  }

  private static List<ByteString> messagesOf(List<QueueEntry> entries) {
    return entries.stream().map(e -> e.getMessage().getMlsMessage()).toList();
  }
}
