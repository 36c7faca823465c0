package org.homeserver.delivery;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.GroupRule;
import org.homeserver.delivery.GroupStore.GroupRow;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.UserId;
import org.jdbi.v3.core.Handle;

/**
 * Hosted groups outside the Send path ({@link Sends}): creation at epoch 0, reading, deletion,
 * purges, GroupInfos and members' notification policies, each in a transaction of its own or the
 * caller's; and the refusals the group operations share.
 */
public final class Groups {
  private final GroupStore store;
  private final GroupLogStore log;
  private final Clock clock;

  public Groups(GroupStore store, GroupLogStore log, Clock clock) {
    this.store = store;
    this.log = log;
    this.clock = clock;
  }

  /** A group as stored: its epoch and who sits in each leaf. */
  public record Group(byte[] groupId, int cipherSuite, long epoch, Instant createdAt, MemberMap members,
                      Optional<String> hub) {
    Group(GroupRow row, MemberMap members) {
      this(row.groupId(), row.cipherSuite(), row.epoch(), row.createdAt(), members, row.hub());
    }
  }

  /** Creates the group at epoch 0 with {@code creatorClientId} alone, at leaf 0; GROUP_EXISTS if the id is taken. */
  public Group create(byte[] groupId, int cipherSuite, String creatorClientId) {
    return store.inTransaction(h -> create(h, groupId, cipherSuite, creatorClientId, Optional.empty()));
  }

  /**
   * As {@link #create(byte[], int, String)}, inside the caller's transaction; {@code creator} is
   * the creator's queue, which reads the group's log from its start.
   */
  public Group create(Handle h, byte[] groupId, int cipherSuite, String creatorClientId, Optional<UUID> creator) {
    MemberMap members = MemberMap.create(creatorClientId);
    Instant now = clock.instant();
    if (!store.insertGroup(h, groupId, cipherSuite, now)) {
      throw Refusal.of(ErrorReason.GROUP_EXISTS, "a group with this id exists");
    }
    store.insertMembers(h, groupId, members.members());
    creator.ifPresent(client -> log.addReaders(h, groupId, List.of(client), 0));
    return new Group(groupId.clone(), cipherSuite, 0, now, members, Optional.empty());
  }

  /** The group's epoch and member map; GROUP_NOT_FOUND if there is none. */
  public Group group(byte[] groupId) {
    return store.inTransaction(h -> {
      GroupRow row = store.group(h, groupId).orElseThrow(Groups::notFound);
      return new Group(row, store.members(h, groupId));
    });
  }

  /** The clients of {@code user} that hold a leaf in a group here. */
  public List<String> memberClientsOf(UserId user) {
    return store.memberClientsWithPrefix("mimi://" + user.domain() + "/c/" + user.handle() + "/");
  }

  /** Purges a client from every group (see {@link GroupStore#purgeClient}); the groups deleted. */
  public List<byte[]> purge(Handle h, String clientId) {
    return store.purgeClient(h, clientId, clock.instant());
  }

  /**
   * The group locked FOR UPDATE in the caller's transaction, then deleted; its former state is
   * returned. Its readers keep reading its log up to its last message.
   */
  public Group delete(Handle h, byte[] groupId) {
    GroupRow row = store.lockForCommit(h, groupId).orElseThrow(Groups::notFound);
    Group group = new Group(row, store.members(h, groupId));
    log.endAllReaders(h, groupId, store.lastSequence(h, groupId));
    store.deleteGroup(h, groupId);
    return group;
  }

  /** Keeps {@code groupInfo} (an MLSMessage) as the GroupInfo of the group's current epoch. */
  public void setGroupInfo(Handle h, byte[] groupId, byte[] groupInfo) {
    store.updateGroupInfo(h, groupId, groupInfo);
  }

  /** The GroupInfo of the current epoch, if one was supplied. */
  public Optional<byte[]> groupInfo(Handle h, byte[] groupId) {
    return store.groupInfo(h, groupId);
  }

  /** Sets or (null) clears a member's notification policy; NOT_A_MEMBER unless it is a member of this domain. */
  public void setPolicy(byte[] groupId, UUID client, byte[] policy) {
    store.inTransaction(h -> {
      store.lockForProposal(h, groupId).orElseThrow(Groups::notFound);
      if (!log.setPolicy(h, groupId, client, policy)) {
        throw notAMember();
      }
      return null;
    });
  }

  /** The clients sharing a group with any of {@code clientIds}, themselves included, in id order. */
  public List<String> peersOf(List<String> clientIds) {
    return store.groupPeers(clientIds);
  }

  static Refusal notAMember() {
    return Refusal.of(ErrorReason.NOT_A_MEMBER, "the calling client is not a member of this group");
  }

  static void requireEpoch(GroupRow row, long epoch) {
    if (row.epoch() != epoch) {
      throw Refusal.wrongEpoch(row.epoch(), "the group is at epoch " + row.epoch() + ", not " + epoch);
    }
  }

  static Refusal notFound() {
    return Refusal.of(ErrorReason.GROUP_NOT_FOUND, "no such group");
  }

  /** For a group created before the hub kept public states: its handshakes cannot be checked. */
  static Refusal unfollowed() {
    return Refusal.brokenRule(ErrorReason.GROUP_RULE_BROKEN, GroupRule.GROUP_RULE_UNSUPPORTED.name(),
        "the group was created before this homeserver kept groups' public state; create it again");
  }
}
