package org.homeserver.delivery;

import static org.homeserver.delivery.GroupFixture.id;
import static org.homeserver.delivery.GroupFixture.refused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.delivery.Groups.Group;
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
    refused(ErrorReason.GROUP_EXISTS, () -> groups.create(GROUP, 2, "mallory"));
    Group group = groups.group(GROUP);
    assertEquals(SUITE, group.cipherSuite());
    assertEquals(0, group.epoch());
    assertEquals(map("alice"), group.members());
  }

  @Test
  void unknownGroupIsNotFound() {
    refused(ErrorReason.GROUP_NOT_FOUND, () -> groups.group(GROUP));
    refused(ErrorReason.GROUP_NOT_FOUND, () -> groups.setPolicy(GROUP, java.util.UUID.randomUUID(), null));
  }
}
