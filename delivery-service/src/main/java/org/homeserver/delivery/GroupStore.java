package org.homeserver.delivery;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * Persistence of hosted groups: their epochs, member rows and accepted proposals; all of their SQL
 * lives here. The rules (which epoch is current, what a commit changes) are in {@link Groups}; each
 * method says which lock it takes.
 */
public final class GroupStore {
  private final Jdbi jdbi;

  public GroupStore(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /** A groups row. */
  public record GroupRow(byte[] groupId, int cipherSuite, long epoch) {}

  /** A proposal accepted in its group's current epoch. */
  public record AcceptedProposal(long epoch, byte[] ref, byte[] proposal, long senderLeaf) {}

  private static final RowMapper<GroupRow> GROUP = (rs, ctx) -> new GroupRow(rs.getBytes("group_id"),
      rs.getInt("cipher_suite"), rs.getLong("epoch"));

  private static final RowMapper<AcceptedProposal> PROPOSAL = (rs, ctx) -> new AcceptedProposal(rs.getLong("epoch"),
      rs.getBytes("proposal_ref"), rs.getBytes("proposal"), rs.getLong("sender_leaf"));

  /** Runs {@code work} in one transaction (READ COMMITTED; the groups row lock does the ordering). */
  public <T> T inTransaction(Function<Handle, T> work) {
    return jdbi.inTransaction(work::apply);
  }

  /** Reads outside a transaction of the caller's. */
  public <T> T withHandle(Function<Handle, T> work) {
    return jdbi.withHandle(work::apply);
  }

  /** Inserts the group at epoch 0; false (and nothing written) if the id is taken. */
  public boolean insertGroup(Handle h, byte[] groupId, int cipherSuite, Instant now) {
    return h.createUpdate("""
            insert into groups (group_id, cipher_suite, epoch, created_at) values (:id, :suite, 0, :now)
            on conflict (group_id) do nothing""")
        .bind("id", groupId).bind("suite", cipherSuite).bind("now", now)
        .execute() == 1;
  }

  /** The group, without a lock. */
  public Optional<GroupRow> group(Handle h, byte[] groupId) {
    return h.createQuery("select group_id, cipher_suite, epoch from groups where group_id = :id")
        .bind("id", groupId).map(GROUP).findOne();
  }

  /** The group, locked FOR UPDATE until the transaction ends: commits of one group take turns here. */
  public Optional<GroupRow> lockForCommit(Handle h, byte[] groupId) {
    return h.createQuery("select group_id, cipher_suite, epoch from groups where group_id = :id for update")
        .bind("id", groupId).map(GROUP).findOne();
  }

  /** The group, locked FOR SHARE: proposals may be accepted side by side but not across a commit. */
  public Optional<GroupRow> lockForProposal(Handle h, byte[] groupId) {
    return h.createQuery("select group_id, cipher_suite, epoch from groups where group_id = :id for share")
        .bind("id", groupId).map(GROUP).findOne();
  }

  /** Sets the epoch of a group this transaction has locked. */
  public void updateEpoch(Handle h, byte[] groupId, long epoch) {
    h.createUpdate("update groups set epoch = :epoch where group_id = :id")
        .bind("epoch", epoch).bind("id", groupId).execute();
  }

  /** The member map as stored. */
  public MemberMap members(Handle h, byte[] groupId) {
    List<MemberMap.Member> rows = h.createQuery("""
            select leaf_index, client_id from group_members where group_id = :id order by leaf_index""")
        .bind("id", groupId)
        .map((rs, ctx) -> new MemberMap.Member(rs.getLong("leaf_index"), rs.getString("client_id")))
        .list();
    List<Optional<String>> leaves = new ArrayList<>();
    for (MemberMap.Member member : rows) {
      while (leaves.size() < member.leafIndex()) {
        leaves.add(Optional.empty());
      }
      leaves.add(Optional.of(member.clientId()));
    }
    return new MemberMap(leaves);
  }

  /** Replaces the member rows of a group this transaction has locked with {@code map}'s occupied leaves. */
  public void replaceMembers(Handle h, byte[] groupId, MemberMap map) {
    h.createUpdate("delete from group_members where group_id = :id").bind("id", groupId).execute();
    List<MemberMap.Member> members = map.members();
    h.createUpdate("""
            insert into group_members (group_id, leaf_index, client_id)
            select :id, t.leaf, t.client from unnest(:leaves, :clients) as t(leaf, client)""")
        .bind("id", groupId)
        .bindArray("leaves", Long.class, members.stream().map(MemberMap.Member::leafIndex).toList())
        .bindArray("clients", String.class, members.stream().map(MemberMap.Member::clientId).toList())
        .execute();
  }

  /** Records an accepted proposal; false if one with the same ref was already accepted (nothing written). */
  public boolean insertProposal(Handle h, byte[] groupId, AcceptedProposal proposal) {
    return h.createUpdate("""
            insert into accepted_proposals (group_id, epoch, proposal_ref, proposal, sender_leaf)
            values (:id, :epoch, :ref, :proposal, :sender)
            on conflict (group_id, proposal_ref) do nothing""")
        .bind("id", groupId).bind("epoch", proposal.epoch()).bind("ref", proposal.ref())
        .bind("proposal", proposal.proposal()).bind("sender", proposal.senderLeaf())
        .execute() == 1;
  }

  /** The proposal accepted under {@code ref} in the group's current epoch. */
  public Optional<AcceptedProposal> proposal(Handle h, byte[] groupId, byte[] ref) {
    return h.createQuery("""
            select epoch, proposal_ref, proposal, sender_leaf from accepted_proposals
            where group_id = :id and proposal_ref = :ref""")
        .bind("id", groupId).bind("ref", ref).map(PROPOSAL).findOne();
  }

  /** Every proposal accepted in the group's current epoch. */
  public List<AcceptedProposal> proposals(Handle h, byte[] groupId) {
    return h.createQuery("""
            select epoch, proposal_ref, proposal, sender_leaf from accepted_proposals
            where group_id = :id order by proposal_ref""")
        .bind("id", groupId).map(PROPOSAL).list();
  }

  /** Forgets the group's accepted proposals, when its epoch advances. */
  public void clearProposals(Handle h, byte[] groupId) {
    h.createUpdate("delete from accepted_proposals where group_id = :id").bind("id", groupId).execute();
  }
}
