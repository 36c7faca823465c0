package org.homeserver.delivery;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.delivery.GroupStore.AcceptedProposal;
import org.homeserver.delivery.GroupStore.GroupRow;
import org.homeserver.platform.errors.Fact;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.UserId;
import org.jdbi.v3.core.Handle;

/**
 * The rules of hosted groups: creation at epoch 0, proposals accepted for the current epoch only, and
 * commits ordered per group so that of several for one epoch exactly the first wins and advances it.
 */
public final class Groups {
  private final GroupStore store;
  private final Clock clock;

  public Groups(GroupStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /** A group as stored: its epoch and who sits in each leaf. */
  public record Group(byte[] groupId, int cipherSuite, long epoch, Instant createdAt, MemberMap members) {
    Group(GroupRow row, MemberMap members) {
      this(row.groupId(), row.cipherSuite(), row.epoch(), row.createdAt(), members);
    }
  }

  /** The outcome of an accepted commit: the group before it, the new epoch and its member map. */
  public record Committed(Group group, long epoch, MemberMap members) {
    /** The member map before the commit. */
    public MemberMap before() {
      return group.members();
    }
  }

  /** Creates the group at epoch 0 with {@code creatorClientId} alone, at leaf 0; GROUP_EXISTS if the id is taken. */
  public Group create(byte[] groupId, int cipherSuite, String creatorClientId) {
    return store.inTransaction(h -> create(h, groupId, cipherSuite, creatorClientId));
  }

  /** As {@link #create(byte[], int, String)}, inside the caller's transaction. */
  public Group create(Handle h, byte[] groupId, int cipherSuite, String creatorClientId) {
    MemberMap members = MemberMap.create(creatorClientId);
    Instant now = clock.instant();
    if (!store.insertGroup(h, groupId, cipherSuite, now)) {
      throw Refusal.of(ErrorReason.GROUP_EXISTS, "a group with this id exists");
    }
    store.replaceMembers(h, groupId, members);
    return new Group(groupId.clone(), cipherSuite, 0, now, members);
  }

  /** The group's epoch and member map; GROUP_NOT_FOUND if there is none. */
  public Group group(byte[] groupId) {
    return store.inTransaction(h -> {
      GroupRow row = store.group(h, groupId).orElseThrow(Groups::notFound);
      return new Group(row, store.members(h, groupId));
    });
  }

  /**
   * Accepts a proposal sent for {@code epoch}, so a commit of this epoch may name it by {@code ref};
   * WRONG_EPOCH (with {@code current_epoch}) unless {@code epoch} is current. False if the ref was
   * already accepted (a retry: nothing changes).
   */
  public boolean acceptProposal(byte[] groupId, long epoch, byte[] ref, byte[] proposal, long senderLeaf) {
    return store.inTransaction(h -> acceptProposal(h, groupId, epoch, ref, proposal, senderLeaf));
  }

  /** As {@link #acceptProposal(byte[], long, byte[], byte[], long)}, inside the caller's transaction. */
  public boolean acceptProposal(Handle h, byte[] groupId, long epoch, byte[] ref, byte[] proposal, long senderLeaf) {
    GroupRow row = store.lockForProposal(h, groupId).orElseThrow(Groups::notFound);
    requireEpoch(row, epoch);
    return store.insertProposal(h, groupId, new AcceptedProposal(epoch, ref.clone(), proposal.clone(), senderLeaf));
  }

  /**
   * Records a proposal for a group the caller's transaction has locked (FOR SHARE) and found at
   * {@code epoch}; false if the ref was already accepted.
   */
  public boolean recordProposal(Handle h, byte[] groupId, long epoch, byte[] ref, byte[] proposal, long senderLeaf) {
    return store.insertProposal(h, groupId, new AcceptedProposal(epoch, ref.clone(), proposal.clone(), senderLeaf));
  }

  /** The proposal accepted under {@code ref} in the group's current epoch. */
  public Optional<AcceptedProposal> acceptedProposal(byte[] groupId, byte[] ref) {
    return store.withHandle(h -> store.proposal(h, groupId, ref));
  }

  /**
   * The proposal accepted under {@code ref}, read in the caller's transaction. Once that transaction
   * holds the group's commit lock and has seen the epoch it expects, the answer cannot go stale.
   */
  public Optional<AcceptedProposal> acceptedProposal(Handle h, byte[] groupId, byte[] ref) {
    return store.proposal(h, groupId, ref);
  }

  /** Every proposal accepted in the group's current epoch. */
  public List<AcceptedProposal> acceptedProposals(byte[] groupId) {
    return store.withHandle(h -> store.proposals(h, groupId));
  }

  /**
   * Applies a commit for {@code expectedEpoch}, in one transaction: see {@link #commit(Handle, byte[], long, CommitRule)}.
   */
  public Committed commit(byte[] groupId, long expectedEpoch, List<MemberMap.Change> changes) {
    return store.inTransaction(h -> commit(h, groupId, expectedEpoch, (before, accepted) -> changes));
  }

  /**
   * What a commit changes, worked out once the group is locked at the expected epoch: from the group
   * as it stands and the proposals accepted in this epoch (by ProposalRef). It may refuse the commit
   * by throwing.
   */
  public interface CommitRule {
    List<MemberMap.Change> changes(Group before, Function<byte[], Optional<AcceptedProposal>> accepted)
        throws MembershipException;
  }

  /**
   * Applies a commit inside the caller's transaction, so the caller can queue its fan-out atomically
   * with it. Locks the group's row until that transaction ends; WRONG_EPOCH (with {@code
   * current_epoch}) unless {@code expectedEpoch} is the stored epoch, so of concurrent commits for
   * one epoch the first to lock wins and the rest see the new epoch. Then asks {@code rule} for the
   * changes, writes the new member map, forgets the epoch's proposals, the GroupInfo and the policies
   * of removed members, and advances the epoch by one. A change RFC 9420 forbids refuses the whole
   * commit and writes nothing.
   */
  public Committed commit(Handle h, byte[] groupId, long expectedEpoch, CommitRule rule) {
    GroupRow row = store.lockForCommit(h, groupId).orElseThrow(Groups::notFound);
    requireEpoch(row, expectedEpoch);
    Group before = new Group(row, store.members(h, groupId));
    MemberMap next;
    try {
      next = before.members().apply(rule.changes(before, ref -> store.proposal(h, groupId, ref)));
    } catch (MembershipException e) {
      throw refused(e);
    }
    long epoch = row.epoch() + 1;
    store.replaceMembers(h, groupId, next);
    store.clearProposals(h, groupId);
    store.updateEpoch(h, groupId, epoch);
    store.updateGroupInfo(h, groupId, null);
    store.dropPoliciesOfNonMembers(h, groupId);
    return new Committed(before, epoch, next);
  }

  /**
   * The group and its members, locked FOR SHARE in the caller's transaction: a message or proposal
   * sent under this lock sees the members no commit can change until it is queued.
   */
  public Locked lockForMessage(Handle h, byte[] groupId) {
    GroupStore.LockedGroup locked = store.lockWithMembers(h, groupId).orElseThrow(Groups::notFound);
    return new Locked(new Group(locked.row(), locked.members()), locked.policies(), locked.purged());
  }

  /**
   * A group locked for a message, with the members' serialized notification policies by client id
   * and the members whose clients were purged (nothing is queued for them).
   */
  public record Locked(Group group, Map<String, byte[]> policies, Set<String> purged) {}

  /** Of the group's members, the purged clients, read in the caller's transaction. */
  public Set<String> purgedMembers(Handle h, byte[] groupId) {
    return store.purgedMembers(h, groupId);
  }

  /** The clients of {@code user} that hold a leaf in a group here. */
  public List<String> memberClientsOf(UserId user) {
    return store.memberClientsWithPrefix("mimi://" + user.domain() + "/c/" + user.handle() + "/");
  }

  /** Purges a client from every group (see {@link GroupStore#purgeClient}); the groups deleted. */
  public List<byte[]> purge(Handle h, String clientId) {
    return store.purgeClient(h, clientId, clock.instant());
  }

  /** The group locked FOR UPDATE in the caller's transaction, then deleted; its former state is returned. */
  public Group delete(Handle h, byte[] groupId) {
    GroupRow row = store.lockForCommit(h, groupId).orElseThrow(Groups::notFound);
    Group group = new Group(row, store.members(h, groupId));
    store.deleteGroup(h, groupId);
    return group;
  }

  /** Keeps {@code groupInfo} (an MLSMessage) as the GroupInfo of the group's current epoch. */
  public void setGroupInfo(Handle h, byte[] groupId, byte[] groupInfo) {
    store.updateGroupInfo(h, groupId, groupInfo);
  }

  /** The GroupInfo of the current epoch with that epoch; GROUP_INFO_UNAVAILABLE if none was supplied. */
  public Optional<byte[]> groupInfo(byte[] groupId) {
    return store.withHandle(h -> store.groupInfo(h, groupId));
  }

  /** The members' serialized notification policies, read in the caller's transaction. */
  public Map<String, byte[]> policies(Handle h, byte[] groupId) {
    return store.policies(h, groupId);
  }

  /** Sets or (null) clears a member's notification policy; NOT_A_MEMBER unless it is one. */
  public void setPolicy(byte[] groupId, String clientId, byte[] policy) {
    store.inTransaction(h -> {
      Group group = lockForMessage(h, groupId).group();
      if (group.members().leafOf(clientId).isEmpty()) {
        throw notAMember();
      }
      store.setPolicy(h, groupId, clientId, policy);
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

  private static Refusal refused(MembershipException e) {
    return switch (e.reason()) {
      case UNKNOWN_PROPOSAL -> Refusal.of(ErrorReason.PROPOSAL_NOT_FOUND, e.getMessage());
      case LEAF_NOT_OCCUPIED, ALREADY_MEMBER, INVALID_PROPOSAL_LIST ->
          Refusal.invalid(e.getMessage()).with(Fact.RULE, e.reason().name());
    };
  }
}
