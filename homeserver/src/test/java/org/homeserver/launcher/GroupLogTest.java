package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.api.delivery.v1.SendResponse;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.TestMessages;
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
    TestGroup group = TestMember.group(groupId);
    AtomicInteger attempts = new AtomicInteger();
    List<SendResponse> accepted = Collections.synchronizedList(new ArrayList<>());
    List<ByteString> acceptedBytes = Collections.synchronizedList(new ArrayList<>());
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> work = new ArrayList<>();
      for (TestMember committer : committers) {
        work.add(pool.submit(() -> {
          while (attempts.getAndIncrement() < RACING_COMMITS) {
            TestGroup.Pending commit = group.commit(committer.member());
            try {
              SendResponse response = committer.sendBundle(commit.commit(), null);
              group.apply(commit);
              synchronized (accepted) {
                accepted.add(response);
                acceptedBytes.add(ByteString.copyFrom(commit.commit()));
              }
            } catch (StatusRuntimeException e) {
              assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.toString());
              assertEquals(ErrorReason.WRONG_EPOCH.name(), ErrorStatus.errorInfo(e).orElseThrow().getReason());
              // The winner moves the test group on once it has its answer.
              long current = Long.parseLong(ErrorStatus.errorInfo(e).orElseThrow().getMetadataOrThrow("current_epoch"));
              group.awaitEpoch(current, Duration.ofSeconds(30));
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

  /**
   * Application messages go into the log a batch at a time, one statement per kind of row: racing
   * sends, each raced by a retry of itself under its key, mixed with sends the rules refuse, still
   * get one number each, without gaps; a retry gets its first answer; a refused send leaves nothing,
   * not even its key.
   */
  @Test
  void racingApplicationMessagesAndTheirRetriesAreNumberedOnceEach() throws Exception {
    TestMember reader = TestMember.register(server, "carol");
    List<TestMember> senders = List.of(TestMember.register(server, "alice"), TestMember.register(server, "bob"),
        TestMember.register(server, "alice"), TestMember.register(server, "bob"));
    TestMember outsider = TestMember.register(server, "carol");
    List<TestMember> members = new ArrayList<>(senders.subList(1, senders.size()));
    members.add(reader);
    byte[] groupId = senders.getFirst().createGroupWith(members, server.clock.instant());
    int perSender = 100;
    Map<String, ByteString> acceptedByKey = new java.util.concurrent.ConcurrentHashMap<>();
    Map<String, List<SendResponse>> answers = new java.util.concurrent.ConcurrentHashMap<>();
    List<Map.Entry<TestMember, SendRequest>> wrongEpochs = Collections.synchronizedList(new ArrayList<>());
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> work = new ArrayList<>();
      for (TestMember sender : senders) {
        work.add(pool.submit(() -> {
          for (int i = 0; i < perSender; i++) {
            // Every fifth message is for an epoch the group has not reached, every seventh from an outsider.
            boolean wrongEpoch = i % 5 == 4;
            TestMember from = i % 7 == 6 ? outsider : sender;
            byte[] message = TestMessages.application(groupId, wrongEpoch ? 99 : 1, 64);
            SendRequest request = SendRequest.newBuilder().setIdempotencyKey(java.util.UUID.randomUUID().toString())
                .setMlsMessage(ByteString.copyFrom(message)).build();
            List<Future<SendResponse>> twice = List.of(pool.submit(() -> from.delivery().send(request)),
                pool.submit(() -> from.delivery().send(request)));
            for (Future<SendResponse> attempt : twice) {
              try {
                SendResponse response = attempt.get();
                answers.computeIfAbsent(request.getIdempotencyKey(), k -> Collections.synchronizedList(new ArrayList<>()))
                    .add(response);
                acceptedByKey.put(request.getIdempotencyKey(), request.getMlsMessage());
              } catch (java.util.concurrent.ExecutionException e) {
                StatusRuntimeException refusal = (StatusRuntimeException) e.getCause();
                String reason = ErrorStatus.errorInfo(refusal).orElseThrow().getReason();
                assertTrue(wrongEpoch || from == outsider, "only the rules refuse: " + refusal);
                assertEquals(from == outsider ? ErrorReason.NOT_A_MEMBER.name() : ErrorReason.WRONG_EPOCH.name(), reason);
                if (attempt == twice.getFirst() && from != outsider) {
                  wrongEpochs.add(Map.entry(from, request));
                }
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> future : work) {
        future.get();
      }
    }
    // Each accepted key answered twice alike; one number per key, consecutive after the commit that added the others.
    Map<Long, ByteString> bySequence = new TreeMap<>();
    answers.forEach((key, responses) -> {
      assertEquals(2, responses.size(), "both tries of " + key + " accepted");
      assertEquals(responses.get(0), responses.get(1), "the retry got the first answer");
      assertEquals(null, bySequence.put(responses.getFirst().getSequence(), acceptedByKey.get(key)), "one number each");
    });
    assertEquals(List.copyOf(java.util.stream.LongStream.rangeClosed(2, 1 + answers.size()).boxed().toList()),
        List.copyOf(bySequence.keySet()), "numbers without gaps");
    List<QueueEntry> received = reader.drain().stream().filter(QueueEntry::hasMessage).toList();
    assertEquals(List.copyOf(bySequence.values()), received.stream().map(e -> e.getMessage().getMlsMessage()).toList(),
        "the reader receives each accepted message once, in the log's order");
    // A refused send kept nothing, not even its key: the key serves another request.
    assertTrue(wrongEpochs.size() > 10, "sends were refused: " + wrongEpochs.size());
    Map.Entry<TestMember, SendRequest> refused = wrongEpochs.getFirst();
    SendResponse reused = refused.getKey().delivery().send(refused.getValue().toBuilder()
        .setMlsMessage(ByteString.copyFrom(TestMessages.application(groupId, 1, 64))).build());
    assertEquals(2 + answers.size(), reused.getSequence());
  }

  @Test
  void aMemberReadsFromTheMessageAfterItsAddToItsRemoval() {
    TestMember alice = TestMember.register(server, "alice");
    TestMember bob = TestMember.register(server, "bob");
    TestMember carol = TestMember.register(server, "carol");
    byte[] groupId = alice.createGroupWith(bob, server.clock.instant());
    TestGroup group = TestMember.group(groupId);
    List<ByteString> beforeCarol = sendApplications(alice, groupId, 1, 5);

    TestGroup.Pending addingCarol = group.commit(alice.member(),
        new Proposal.Add(carol.keyPackage(server.clock.instant())));
    byte[] addCarol = addingCarol.commit();
    long added = alice.sendCommit(group, addingCarol).getSequence();
    List<ByteString> withCarol = sendApplications(alice, groupId, 2, 3);

    TestGroup.Pending removingBob = group.commit(alice.member(), new Proposal.Remove(1));
    byte[] removeBob = removingBob.commit();
    long removed = alice.send(removeBob).getSequence();
    group.apply(removingBob);
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
