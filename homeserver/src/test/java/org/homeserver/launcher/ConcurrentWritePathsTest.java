package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.SendResponse;
import org.homeserver.api.directory.v1.DeleteAccountRequest;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.TestMessages;
import org.homeserver.platform.grpc.ErrorStatus;
import org.homeserver.platform.testing.Eventually;
import org.junit.jupiter.api.Test;

/**
 * Every write path of the delivery service at once, over gRPC, with no fault injected: senders
 * into overlapping groups (application messages and commits), readers acknowledging on Listen
 * streams that other streams of theirs keep taking over, the notifier's hand-off clearing its
 * marks after each send, and accounts deleted (their queues and group leaves purged) midway.
 * PostgreSQL must report no deadlock (the server counts every one it retries), no call may get
 * INTERNAL, and every reader ends with exactly the messages of its groups, each once.
 */
class ConcurrentWritePathsTest {
  private static final int SENDERS = 12;
  private static final int SENDS = 3000;
  private static final int GROUPS = 4;
  private static final Pattern DEADLOCKS =
      Pattern.compile("homeserver_database_retries_total\\{failure=\"deadlock\",schema=\"(\\w+)\"} (\\S+)");

  /** One group: its id, its members with their leaves, its epoch as the senders last learned it. */
  private record Group(byte[] id, Map<TestMember, Long> leaves, AtomicLong epoch) {}

  @Test
  void sendsAcksTakeoversMarksAndPurgesTogetherNeverDeadlockOrFail() throws Exception {
    try (TestHomeserver hs = TestHomeserver.withUsers("ann", "ben", "cat", "leaver0", "leaver1")) {
      hs.connectAll("ann", "ben", "cat", "leaver0", "leaver1");
      List<TestMember> members = new ArrayList<>();
      for (String handle : List.of("ann", "ben", "cat")) {
        for (int i = 0; i < SENDERS / 3; i++) {
          members.add(TestMember.register(hs, handle));
        }
      }
      List<TestMember> leavers = List.of(TestMember.register(hs, "leaver0"), TestMember.register(hs, "leaver1"));
      List<Group> groups = new ArrayList<>();
      for (int g = 0; g < GROUPS; g++) {
        int group = g;
        List<TestMember> in = new ArrayList<>(members.stream().filter(m -> members.indexOf(m) % GROUPS != group).toList());
        in.add(leavers.get(g % 2));
        groups.add(create(hs, in));
      }

      Map<TestMember, QueueReader> readers = new HashMap<>();
      for (TestMember member : members) {
        readers.put(member, new QueueReader(member, List.of(hs.channel)).start());
      }
      Queue<String> unexpected = new ConcurrentLinkedQueue<>();
      Map<ByteString, Group> accepted = new ConcurrentHashMap<>();
      Map<ByteString, TestMember> senderOf = new ConcurrentHashMap<>();
      AtomicInteger sent = new AtomicInteger();
      ScheduledExecutorService takeovers = Executors.newSingleThreadScheduledExecutor();
      Random picks = new Random(99);
      takeovers.scheduleAtFixedRate(() -> readers.get(members.get(picks.nextInt(members.size()))).takeOver(),
          100, 100, TimeUnit.MILLISECONDS);
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        List<Future<?>> work = new ArrayList<>();
        for (int s = 0; s < SENDERS; s++) {
          TestMember sender = members.get(s);
          Random random = new Random(s);
          List<Group> mine = groups.stream().filter(g -> g.leaves().containsKey(sender)).toList();
          work.add(pool.submit(() -> {
            for (int n = sent.getAndIncrement(); n < SENDS; n = sent.getAndIncrement()) {
              if (n % (SENDS / 3) == SENDS / 6 && n / (SENDS / 3) < leavers.size()) {
                // A third of the way in, and again later, an account goes: its queues and leaves are purged.
                leavers.get(n / (SENDS / 3)).directory().deleteAccount(
                    DeleteAccountRequest.newBuilder().setPassword(TestHomeserver.PASSWORD).build());
              }
              Group group = mine.get(random.nextInt(mine.size()));
              ByteString message = send(sender, readers.get(sender), group, random.nextInt(50) == 0, unexpected);
              if (message != null) {
                accepted.put(message, group);
                senderOf.put(message, sender);
              }
            }
          }));
        }
        for (Future<?> future : work) {
          future.get();
        }
      } finally {
        takeovers.shutdownNow();
      }

      for (TestMember member : members) {
        Set<ByteString> expected = new HashSet<>();
        accepted.forEach((message, group) -> {
          if (group.leaves().containsKey(member) && senderOf.get(message) != member) {
            expected.add(message);
          }
        });
        QueueReader reader = readers.get(member);
        Eventually.until(member.id() + " received all " + expected.size() + " messages of its groups",
            Duration.ofSeconds(60), () -> new HashSet<>(reader.messages()).containsAll(expected));
        List<ByteString> received = reader.messages();
        assertEquals(received.size(), new HashSet<>(received).size(), "each message once, for " + member.id());
        assertTrue(reader.contiguous(), "no sequence number skipped for " + member.id());
        unexpected.addAll(reader.unexpected);
      }
      readers.values().forEach(QueueReader::close);
      assertEquals(List.of(), List.copyOf(unexpected));
      assertEquals(Map.of(), deadlocks(hs), "deadlocks PostgreSQL found (and the server retried), by schema");
      assertTrue(accepted.size() > SENDS * 9 / 10, accepted.size() + " of " + SENDS + " sends accepted");
    }
  }

  /** Creates a group with {@code in.get(0)} at leaf 0 and the others added by one commit. */
  private static Group create(TestHomeserver hs, List<TestMember> in) {
    byte[] id = in.getFirst().createGroupWith(in.subList(1, in.size()), hs.clock.instant());
    Map<TestMember, Long> leaves = new ConcurrentHashMap<>();
    for (int i = 0; i < in.size(); i++) {
      leaves.put(in.get(i), (long) i);
    }
    return new Group(id, leaves, new AtomicLong(1));
  }

  /**
   * One send: an application message, or (if {@code commit}) an empty commit built on the group's
   * test group, which moves on once it is accepted; a refusal for a stale epoch teaches the sender
   * the current one. The message's bytes if it was accepted.
   */
  private static ByteString send(TestMember sender, QueueReader reader, Group group, boolean commit,
      Queue<String> unexpected) {
    long epoch = group.epoch().get();
    TestGroup mls = TestMember.group(group.id());
    TestGroup.Pending pending = commit ? mls.commit(sender.member()) : null;
    byte[] message = commit ? pending.commit() : TestMessages.application(group.id(), epoch, 200);
    try {
      SendResponse response = commit ? sender.sendBundle(message, null) : sender.send(message);
      if (commit) {
        mls.apply(pending);
      }
      group.epoch().accumulateAndGet(response.getEpoch(), Math::max);
      reader.sent(response);
      return ByteString.copyFrom(message);
    } catch (StatusRuntimeException e) {
      var info = ErrorStatus.errorInfo(e);
      if (e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION
          && info.map(i -> i.getReason().equals(ErrorReason.WRONG_EPOCH.name())).orElse(false)) {
        group.epoch().accumulateAndGet(Long.parseLong(info.get().getMetadataOrThrow("current_epoch")), Math::max);
      } else {
        unexpected.add("Send by " + sender.id() + ": " + e);
      }
      return null;
    }
  }

  /** The deadlocks the server met and retried, by schema, from its metrics (none listed if none). */
  private static Map<String, Double> deadlocks(TestHomeserver hs) {
    String metrics = hs.metrics();
    Map<String, Double> found = new HashMap<>();
    Matcher m = DEADLOCKS.matcher(metrics);
    int schemas = 0;
    while (m.find()) {
      schemas++;
      if (Double.parseDouble(m.group(2)) > 0) {
        found.put(m.group(1), Double.parseDouble(m.group(2)));
      }
    }
    assertEquals(Homeserver.SERVICES.size(), schemas, "every service's database counts its deadlocks:\n" + metrics);
    return found;
  }

}
