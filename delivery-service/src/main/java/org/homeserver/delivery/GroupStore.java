package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.homeserver.platform.db.SqlArrays;
import org.homeserver.platform.db.Transactions;
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * Persistence of hosted groups: their epochs, member rows and GroupInfos; all of their SQL
 * lives here. The rules (which epoch is current, what a commit changes) are in {@link Groups}; each
 * method says which lock it takes.
 */
public final class GroupStore {
  private final Transactions db;

  public GroupStore(Transactions db) {
    this.db = db;
  }

  /**
   * A groups row: {@code hub} is empty for a group hosted here and names the hub of a followed one;
   * {@code federated} says a hosted group has or had members of other domains.
   */
  public record GroupRow(byte[] groupId, int cipherSuite, long epoch, Instant createdAt, Optional<String> hub,
                         boolean federated) {
    /** Whether this homeserver hosts the group. */
    public boolean hosted() {
      return hub.isEmpty();
    }
  }

  private static final String GROUP_COLUMNS = "group_id, cipher_suite, epoch, created_at, hub, federated";

  private static final RowMapper<GroupRow> GROUP = (rs, ctx) -> new GroupRow(rs.getBytes("group_id"),
      rs.getInt("cipher_suite"), rs.getLong("epoch"), rs.getObject("created_at", OffsetDateTime.class).toInstant(),
      Optional.ofNullable(rs.getString("hub")), rs.getBoolean("federated"));

  /** Runs {@code work} in one transaction (READ COMMITTED; the groups row lock does the ordering). */
  public <T> T inTransaction(Function<Handle, T> work) {
    return db.inTransaction(work::apply);
  }

  /** Reads outside a transaction of the caller's. */
  public <T> T withHandle(Function<Handle, T> work) {
    return db.withHandle(work::apply);
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
    return h.createQuery("select " + GROUP_COLUMNS + " from groups where group_id = :id")
        .bind("id", groupId).map(GROUP).findOne();
  }

  /** The group, locked FOR UPDATE until the transaction ends: commits of one group take turns here. */
  public Optional<GroupRow> lockForCommit(Handle h, byte[] groupId) {
    return h.createQuery("select " + GROUP_COLUMNS + " from groups where group_id = :id for update")
        .bind("id", groupId).map(GROUP).findOne();
  }

  /** The group, locked FOR SHARE: proposals may be accepted side by side but not across a commit. */
  public Optional<GroupRow> lockForProposal(Handle h, byte[] groupId) {
    return h.createQuery("select " + GROUP_COLUMNS + " from groups where group_id = :id for share")
        .bind("id", groupId).map(GROUP).findOne();
  }

  /** A group locked for a send, and the number its message takes in the group's log. */
  public record Numbered(GroupRow row, long sequence) {}

  /**
   * Locks the group's row until the transaction ends and gives the next number of its log: every
   * send to one group takes turns here, so the log is numbered without gaps in the order the sends
   * are accepted (a refused send rolls its number back with it).
   */
  public Optional<Numbered> lockAndNumber(Handle h, byte[] groupId) {
    return h.createQuery("update groups set last_sequence = last_sequence + 1 where group_id = :id returning "
            + GROUP_COLUMNS + ", last_sequence")
        .bind("id", groupId)
        .map((rs, ctx) -> new Numbered(GROUP.map(rs, ctx), rs.getLong("last_sequence"))).findOne();
  }

  /**
   * Locks the rows of these groups, in id order, until the transaction ends; with the last number
   * of each log, which {@link #setLastSequences} moves on. Groups that do not exist are left out.
   */
  public Map<ByteString, Numbered> lockAll(Handle h, Collection<ByteString> groupIds) {
    Map<ByteString, Numbered> locked = new HashMap<>();
    h.createQuery("select " + GROUP_COLUMNS + ", last_sequence from groups where group_id = any(:ids)"
            + " order by group_id for no key update")
        .bind("ids", SqlArrays.bytea(groupIds.stream().map(ByteString::toByteArray).toList()))
        .map((rs, ctx) -> new Numbered(GROUP.map(rs, ctx), rs.getLong("last_sequence")))
        .forEach(n -> locked.put(ByteString.copyFrom(n.row().groupId()), n));
    return locked;
  }

  /** Sets the last numbers of the logs of groups this transaction has locked, in one statement. */
  public void setLastSequences(Handle h, Map<ByteString, Long> lasts) {
    List<ByteString> ids = List.copyOf(lasts.keySet());
    h.createUpdate("""
            update groups g set last_sequence = t.last from unnest(:ids, :lasts) as t(id, last)
            where g.group_id = t.id""")
        .bind("ids", SqlArrays.bytea(ids.stream().map(ByteString::toByteArray).toList()))
        .bindArray("lasts", Long.class, ids.stream().map(lasts::get).toList())
        .execute();
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
    return memberMap(rows);
  }

  /** The map of occupied leaves given in leaf order, blank ones between them. */
  private static MemberMap memberMap(List<MemberMap.Member> rows) {
    List<Optional<String>> leaves = new ArrayList<>();
    for (MemberMap.Member member : rows) {
      while (leaves.size() < member.leafIndex()) {
        leaves.add(Optional.empty());
      }
      leaves.add(Optional.of(member.clientId()));
    }
    return new MemberMap(leaves);
  }

  /** Writes the new member map of a group this transaction has locked: only the leaves that changed. */
  public void writeMemberDifference(Handle h, byte[] groupId, MemberMap before, MemberMap after) {
    List<Long> gone = new ArrayList<>();
    List<MemberMap.Member> added = new ArrayList<>();
    for (MemberMap.Member member : before.members()) {
      if (!after.occupant(member.leafIndex()).equals(Optional.of(member.clientId()))) {
        gone.add(member.leafIndex());
      }
    }
    for (MemberMap.Member member : after.members()) {
      if (!before.occupant(member.leafIndex()).equals(Optional.of(member.clientId()))) {
        added.add(member);
      }
    }
    if (!gone.isEmpty()) {
      h.createUpdate("delete from group_members where group_id = :id and leaf_index = any(:leaves)")
          .bind("id", groupId).bindArray("leaves", Long.class, gone).execute();
    }
    insertMembers(h, groupId, added);
  }

  /** Inserts member rows of a group this transaction has locked. */
  public void insertMembers(Handle h, byte[] groupId, List<MemberMap.Member> members) {
    if (members.isEmpty()) {
      return;
    }
    h.createUpdate("""
            insert into group_members (group_id, leaf_index, client_id)
            select :id, t.leaf, t.client from unnest(:leaves, :clients) as t(leaf, client)""")
        .bind("id", groupId)
        .bindArray("leaves", Long.class, members.stream().map(MemberMap.Member::leafIndex).toList())
        .bindArray("clients", String.class, members.stream().map(MemberMap.Member::clientId).toList())
        .execute();
  }




  /** Deletes a group this transaction has locked, with its members, state and policies. */
  public void deleteGroup(Handle h, byte[] groupId) {
    h.createUpdate("delete from groups where group_id = :id").bind("id", groupId).execute();
  }

  /** Sets (or with null clears) the GroupInfo of the group's current epoch. */
  public void updateGroupInfo(Handle h, byte[] groupId, byte[] groupInfo) {
    h.createUpdate("update groups set group_info = :info where group_id = :id")
        .bind("info", groupInfo).bind("id", groupId).execute();
  }

  /** The GroupInfo of the group's current epoch, if one was supplied. */
  public Optional<byte[]> groupInfo(Handle h, byte[] groupId) {
    return h.createQuery("select group_info from groups where group_id = :id and group_info is not null")
        .bind("id", groupId).mapTo(byte[].class).findOne();
  }

  /** The clients that share a group with any of {@code clientIds} (those themselves included), in id order. */
  public List<String> groupPeers(Collection<String> clientIds) {
    return db.withHandle(h -> h.createQuery("""
            select distinct peer.client_id from group_members own
            join group_members peer on peer.group_id = own.group_id
            where own.client_id = any(:clients) order by peer.client_id""")
        .bindArray("clients", String.class, clientIds)
        .mapTo(String.class).list());
  }

  /** The groups in which {@code clientIds} hold leaves. */
  public List<byte[]> groupsOf(Collection<String> clientIds) {
    return db.withHandle(h -> h.createQuery("""
            select distinct group_id from group_members where client_id = any(:clients)""")
        .bindArray("clients", String.class, clientIds)
        .mapTo(byte[].class).list());
  }

  /** The member client ids that start with {@code prefix}. */
  public List<String> memberClientsWithPrefix(String prefix) {
    return db.withHandle(h -> h.createQuery("""
            select distinct client_id from group_members where starts_with(client_id, :prefix)""")
        .bind("prefix", prefix).mapTo(String.class).list());
  }

  /** Of the group's members, the purged clients. */
  public Set<String> purgedMembers(Handle h, byte[] groupId) {
    return Set.copyOf(h.createQuery("""
            select m.client_id from group_members m join purged_clients p on p.client_id = m.client_id
            where m.group_id = :id""")
        .bind("id", groupId).mapTo(String.class).list());
  }

  /**
   * Marks a client purged, forgets its group policies and deletes the groups whose every leaf is now
   * purged; the ids of those groups. Locks every group the client is in first, in group id order,
   * so a send to one of them finishes before (and one after sees the client purged), and two purges
   * cannot deadlock.
   */
  public List<byte[]> purgeClient(Handle h, String clientId, Instant now) {
    h.createQuery("""
            select g.group_id from groups g
            where g.group_id in (select m.group_id from group_members m where m.client_id = :c)
            order by g.group_id for update""")
        .bind("c", clientId).mapTo(byte[].class).list();
    h.createUpdate("insert into purged_clients (client_id, purged_at) values (:c, :now) on conflict do nothing")
        .bind("c", clientId).bind("now", now).execute();
    return h.createQuery("""
            delete from groups g
            where exists (select 1 from group_members m where m.group_id = g.group_id and m.client_id = :c)
              and not exists (select 1 from group_members m
                              where m.group_id = g.group_id
                                and not exists (select 1 from purged_clients p where p.client_id = m.client_id))
            returning g.group_id""")
        .bind("c", clientId).mapTo(byte[].class).list();
  }

  /** The number of the group's newest message (0 before the first), read in the caller's transaction. */
  public long lastSequence(Handle h, byte[] groupId) {
    return h.createQuery("select last_sequence from groups where group_id = :id").bind("id", groupId)
        .mapTo(Long.class).findOne().orElse(0L);
  }
}
