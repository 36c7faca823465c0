package org.homeserver.delivery;

import static org.homeserver.delivery.GroupFixture.id;
import static org.homeserver.delivery.GroupFixture.refused;
import static org.homeserver.delivery.GroupFixture.wrongEpoch;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.delivery.GroupStore.AcceptedProposal;
import org.homeserver.delivery.Groups.Committed;
import org.homeserver.delivery.Groups.Group;
import org.homeserver.delivery.MemberMap.Add;
import org.homeserver.delivery.MemberMap.Remove;
import org.homeserver.platform.errors.Refusal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Group creation, reads, proposals and commits against the real PostgreSQL. */
class GroupsTest {
  private static final int SUITE = 1;
  private static final byte[] GROUP = id("group-1");

  private GroupFixture f;
  private Groups groups;

  @BeforeEach
  void start() {
    f = GroupFixture.start();
    groups = f.groups;
  }

  @AfterEach
  void stop() {
    f.close();
  }

  private static MemberMap map(String... leaves) {
    return new MemberMap(java.util.Arrays.stream(leaves).map(Optional::ofNullable).toList());
  }

  private void assertUnchanged(long epoch, MemberMap members) {
    Group group = groups.group(GROUP);
    assertEquals(epoch, group.epoch());
    assertEquals(members, group.members());
  }

  @Test
  void createdGroupReadsBackAtEpochZeroWithTheCreatorAtLeafZero() {
    Group created = groups.create(GROUP, SUITE, "alice-phone");
    Group read = groups.group(GROUP);
    assertArrayEquals(GROUP, read.groupId());
    assertEquals(SUITE, read.cipherSuite());
    assertEquals(0, read.epoch());
    assertEquals(List.of(new MemberMap.Member(0, "alice-phone")), read.members().members());
    assertEquals(created.members(), read.members());
  }

  @Test
  void groupIdsOfOneTo256BytesAreAccepted() {
    // Shorter and longer ids are refused by CreateGroupRequest's rule (RequestRulesTest).
    groups.create(new byte[1], SUITE, "alice");
    groups.create(new byte[256], SUITE, "alice");
    assertEquals(0, groups.group(new byte[256]).epoch());
    refused(ErrorReason.GROUP_NOT_FOUND, () -> groups.group(new byte[257]));
  }

  @Test
  void duplicateCreateIsRefusedAndChangesNothing() {
    groups.create(GROUP, SUITE, "alice");
    groups.commit(GROUP, 0, List.of(new Add("bob")));
    refused(ErrorReason.GROUP_EXISTS, () -> groups.create(GROUP, 2, "mallory"));
    Group group = groups.group(GROUP);
    assertEquals(SUITE, group.cipherSuite());
    assertEquals(1, group.epoch());
    assertEquals(map("alice", "bob"), group.members());
  }

  @Test
  void unknownGroupIsNotFoundForEveryOperation() {
    refused(ErrorReason.GROUP_NOT_FOUND, () -> groups.group(GROUP));
    refused(ErrorReason.GROUP_NOT_FOUND, () -> groups.commit(GROUP, 0, List.of()));
    refused(ErrorReason.GROUP_NOT_FOUND, () -> groups.acceptProposal(GROUP, 0, id("ref"), id("p"), 0));
  }

  @Test
  void commitAtTheCurrentEpochAdvancesItAndChangesTheMembers() {
    groups.create(GROUP, SUITE, "alice");
    Committed first = groups.commit(GROUP, 0, List.of(new Add("bob"), new Add("carol")));
    assertEquals(1, first.epoch());
    assertEquals(map("alice", "bob", "carol", null), first.members());
    assertUnchanged(1, first.members());

    // Removes come before adds (RFC 9420 section 12.3): dave takes bob's blanked leaf.
    Committed second = groups.commit(GROUP, 1, List.of(new Add("dave"), new Remove(1)));
    assertEquals(2, second.epoch());
    assertEquals(map("alice", "dave", "carol", null), second.members());
    assertUnchanged(2, second.members());

    Committed third = groups.commit(GROUP, 2, List.of(new Remove(2), new Remove(1)));
    assertEquals(map("alice"), third.members());
    assertUnchanged(3, map("alice"));
  }

  @Test
  void commitForAStaleEpochIsRejectedWithTheCurrentEpochAndChangesNothing() {
    groups.create(GROUP, SUITE, "alice");
    groups.commit(GROUP, 0, List.of(new Add("bob")));
    groups.commit(GROUP, 1, List.of(new Add("carol")));
    wrongEpoch(2, () -> groups.commit(GROUP, 1, List.of(new Add("mallory"))));
    wrongEpoch(2, () -> groups.commit(GROUP, 0, List.of(new Remove(1))));
    assertUnchanged(2, map("alice", "bob", "carol", null));
  }

  @Test
  void commitForAFutureEpochIsRejectedWithTheCurrentEpochAndChangesNothing() {
    groups.create(GROUP, SUITE, "alice");
    groups.commit(GROUP, 0, List.of(new Add("bob")));
    groups.acceptProposal(GROUP, 1, id("ref"), id("proposal"), 1);
    wrongEpoch(1, () -> groups.commit(GROUP, 2, List.of(new Add("mallory"))));
    wrongEpoch(1, () -> groups.commit(GROUP, Long.MAX_VALUE, List.of()));
    assertUnchanged(1, map("alice", "bob"));
    assertEquals(1, groups.acceptedProposals(GROUP).size());
  }

  @Test
  void commitRefusedByTheMembershipRulesChangesNothing() {
    groups.create(GROUP, SUITE, "alice");
    groups.commit(GROUP, 0, List.of(new Add("bob")));
    groups.acceptProposal(GROUP, 1, id("ref"), id("proposal"), 1);
    Refusal blank = refused(ErrorReason.INVALID_ARGUMENT,
        () -> groups.commit(GROUP, 1, List.of(new Add("carol"), new Remove(3))));
    assertEquals("LEAF_NOT_OCCUPIED", blank.metadata().get("rule"));
    Refusal twice = refused(ErrorReason.INVALID_ARGUMENT, () -> groups.commit(GROUP, 1, List.of(new Add("bob"))));
    assertEquals("ALREADY_MEMBER", twice.metadata().get("rule"));
    assertUnchanged(1, map("alice", "bob"));
    assertEquals(1, groups.acceptedProposals(GROUP).size());
  }

  @Test
  void acceptedProposalsAreVisibleInTheirEpochAndGoneAfterTheCommit() {
    groups.create(GROUP, SUITE, "alice");
    groups.commit(GROUP, 0, List.of(new Add("bob")));
    assertTrue(groups.acceptProposal(GROUP, 1, id("ref-a"), id("add carol"), 1));
    assertTrue(groups.acceptProposal(GROUP, 1, id("ref-b"), id("remove bob"), 0));
    assertFalse(groups.acceptProposal(GROUP, 1, id("ref-a"), id("add carol"), 1), "a retry stores nothing");

    AcceptedProposal a = groups.acceptedProposal(GROUP, id("ref-a")).orElseThrow();
    assertEquals(1, a.epoch());
    assertArrayEquals(id("add carol"), a.proposal());
    assertEquals(1, a.senderLeaf());
    assertEquals(2, groups.acceptedProposals(GROUP).size());
    assertTrue(groups.acceptedProposal(GROUP, id("ref-c")).isEmpty());

    groups.commit(GROUP, 1, List.of(new Add("carol")));
    assertTrue(groups.acceptedProposal(GROUP, id("ref-a")).isEmpty());
    assertTrue(groups.acceptedProposals(GROUP).isEmpty());
    assertTrue(groups.acceptProposal(GROUP, 2, id("ref-a"), id("add carol again"), 1), "a ref of the past epoch is free");
  }

  @Test
  void proposalForAnotherEpochIsRejectedWithTheCurrentEpochAndStoresNothing() {
    groups.create(GROUP, SUITE, "alice");
    groups.commit(GROUP, 0, List.of(new Add("bob")));
    wrongEpoch(1, () -> groups.acceptProposal(GROUP, 0, id("stale"), id("p"), 1));
    wrongEpoch(1, () -> groups.acceptProposal(GROUP, 2, id("future"), id("p"), 1));
    assertTrue(groups.acceptedProposals(GROUP).isEmpty());
  }

  @Test
  void commitInTheCallersTransactionRollsBackWithIt() {
    groups.create(GROUP, SUITE, "alice");
    groups.acceptProposal(GROUP, 0, id("ref"), id("proposal"), 0);
    assertThrows(IllegalStateException.class, () -> f.store.inTransaction(h -> {
      Committed committed = groups.commit(h, GROUP, 0, (before, accepted) -> List.of(new Add("bob")));
      assertEquals(1, committed.epoch());
      throw new IllegalStateException("the caller's own work failed");
    }));
    assertUnchanged(0, map("alice"));
    assertEquals(1, groups.acceptedProposals(GROUP).size());

    Committed committed = f.store.inTransaction(h -> {
      assertTrue(groups.acceptedProposal(h, GROUP, id("ref")).isPresent());
      return groups.commit(h, GROUP, 0, (before, accepted) -> List.of(new Add("bob")));
    });
    assertEquals(1, committed.epoch());
    assertUnchanged(1, map("alice", "bob"));
  }
}
