package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.homeserver.api.delivery.v1.GetGroupRequest;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.SendResponse;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.TestMessages;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.Proposal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A group's life over real gRPC with real MLS structures: commits adding by value and by reference,
 * removes, re-adds, an external commit, blank leaves and truncation. After each commit the served
 * member map is the leaf assignment RFC 9420 gives; every member and only members receive each
 * message, once, in the accepted order, and added clients receive their Welcome.
 */
class DeliveryGroupsTest {
  private static TestHomeserver server;

  @BeforeAll
  static void start() throws Exception {
    server = TestHomeserver.withUsers("alice", "bob", "carol", "dave");
    server.connectAll("alice", "bob", "carol", "dave");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** What each client should find in its queue, in order: the MLS bytes of messages and Welcomes. */
  private final Map<String, List<ByteString>> expected = new HashMap<>();
  private final byte[] groupId = TestMessages.random(16);
  private TestGroup group;
  private List<Optional<TestMember>> leaves = new ArrayList<>();
  private long epoch;

  @Test
  void membershipFollowsRfc9420AndEveryMemberReceivesEachMessageOnceInOrder() {
    TestMember a1 = TestMember.register(server, "alice");
    TestMember b1 = TestMember.register(server, "bob");
    TestMember c1 = TestMember.register(server, "carol");
    TestMember d1 = TestMember.register(server, "dave");
    TestMember a2 = TestMember.register(server, "alice");
    List<TestMember> everyone = List.of(a1, b1, c1, d1, a2);

    group = a1.createGroup(groupId);
    leaves = new ArrayList<>(List.of(Optional.of(a1)));
    assertMembers();

    // Adds by value fill the tree to the right.
    commit(a1, group.commit(a1.member(), new Proposal.Add(b1.keyPackage(server)),
        new Proposal.Add(c1.keyPackage(server))),
        List.of(b1, c1), List.of(Optional.of(a1), Optional.of(b1), Optional.of(c1)));
    application(b1);
    application(c1);
    application(a1);

    // Proposals by reference: bob proposes adding dave, carol proposes removing bob; alice commits both.
    // The remove blanks leaf 1 and the add takes it, the leftmost blank leaf.
    byte[] addDave = group.proposal(b1.member(), new Proposal.Add(d1.keyPackage(server)));
    propose(b1, addDave);
    byte[] removeBob = group.proposal(c1.member(), new Proposal.Remove(1));
    propose(c1, removeBob);
    commit(a1, group.commit(a1.member(), List.of(new Commit.ByReference(group.ref(addDave)),
            new Commit.ByReference(group.ref(removeBob)))),
        List.of(d1), List.of(Optional.of(a1), Optional.of(d1), Optional.of(c1)));
    application(d1);

    // Re-adding bob: the tree of four leaves has its last one blank.
    commit(c1, group.commit(c1.member(), new Proposal.Add(b1.keyPackage(server))), List.of(b1),
        List.of(Optional.of(a1), Optional.of(d1), Optional.of(c1), Optional.of(b1)));
    // A remove in the middle leaves a blank leaf, which alice's second client then takes by external commit.
    commit(b1, group.commit(b1.member(), new Proposal.Remove(1)), List.of(),
        List.of(Optional.of(a1), Optional.empty(), Optional.of(c1), Optional.of(b1)));
    application(c1);
    commit(a2, group.externalJoin(a2.member(), OptionalInt.empty()), List.of(),
        List.of(Optional.of(a1), Optional.of(a2), Optional.of(c1), Optional.of(b1)));
    application(a2);

    // Removing the right half truncates the tree; the next add extends it again.
    commit(a1, group.commit(a1.member(), new Proposal.Remove(3), new Proposal.Remove(2)),
        List.of(), List.of(Optional.of(a1), Optional.of(a2)));
    commit(a2, group.commit(a2.member(), new Proposal.Add(d1.keyPackage(server))), List.of(d1),
        List.of(Optional.of(a1), Optional.of(a2), Optional.of(d1)));
    application(d1);
    application(a1);

    for (TestMember member : everyone) {
      List<ByteString> received = member.drain().stream().map(DeliveryGroupsTest::bytesOf).toList();
      assertEquals(expected.getOrDefault(member.id(), List.of()), received, "the queue of " + member.id());
    }
  }

  /**
   * Sends a commit with its Welcome, checks the epoch advanced and the served member map, and records
   * who should get what.
   */
  private void commit(TestMember committer, TestGroup.Pending commit, List<TestMember> welcomed,
      List<Optional<TestMember>> leavesAfter) {
    SendResponse response = committer.sendCommit(group, commit);
    assertEquals(epoch + 1, response.getEpoch());
    expectFor(leaves, committer, commit.commit());
    for (TestMember newcomer : welcomed) {
      expected.computeIfAbsent(newcomer.id(), id -> new ArrayList<>()).add(ByteString.copyFrom(commit.welcome()));
    }
    epoch = response.getEpoch();
    leaves = new ArrayList<>(leavesAfter);
    assertMembers();
  }

  /** Sends a proposal, which later commits may then name by reference. */
  private void propose(TestMember sender, byte[] proposal) {
    send(sender, proposal);
    group.accept(proposal);
  }

  private void application(TestMember sender) {
    send(sender, TestMessages.application(groupId, epoch, 100));
  }

  private void send(TestMember sender, byte[] message) {
    SendResponse response = sender.send(message);
    assertEquals(epoch, response.getEpoch());
    expectFor(leaves, sender, message);
  }

  private void expectFor(List<Optional<TestMember>> members, TestMember sender, byte[] message) {
    for (Optional<TestMember> leaf : members) {
      leaf.filter(m -> !m.id().equals(sender.id())).ifPresent(m ->
          expected.computeIfAbsent(m.id(), id -> new ArrayList<>()).add(ByteString.copyFrom(message)));
    }
  }

  /** The served epoch and member map equal the expected leaves (blank ones absent). */
  private void assertMembers() {
    var group = leaves.stream().flatMap(Optional::stream).findFirst().orElseThrow().delivery()
        .getGroup(GetGroupRequest.newBuilder().setGroupId(ByteString.copyFrom(groupId)).build()).getGroup();
    assertEquals(epoch, group.getEpoch());
    List<String> served = group.getMembersList().stream().map(m -> m.getLeafIndex() + "=" + m.getClientId()).toList();
    List<String> wanted = new ArrayList<>();
    for (int i = 0; i < leaves.size(); i++) {
      int leaf = i;
      leaves.get(i).ifPresent(m -> wanted.add(leaf + "=" + m.id()));
    }
    assertEquals(wanted, served, "the member map at epoch " + epoch);
  }

  private static ByteString bytesOf(QueueEntry entry) {
    return switch (entry.getContentCase()) {
      case MESSAGE -> entry.getMessage().getMlsMessage();
      case WELCOME -> entry.getWelcome().getWelcome();
      default -> throw new AssertionError("unexpected entry " + entry);
    };
  }
}
