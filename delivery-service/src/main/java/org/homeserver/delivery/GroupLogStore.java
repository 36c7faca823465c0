package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.homeserver.platform.db.SqlArrays;
import org.homeserver.platform.db.Transactions;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * Persistence of the group logs (V10__group_log.sql): each accepted group message stored once under
 * its group's gap-free sequence number, and where each local member stands in it. All of their SQL
 * lives here; each method says which locks it takes, in the order of V9 and V10.
 */
public final class GroupLogStore {
  private final Transactions db;

  public GroupLogStore(Transactions db) {
    this.db = db;
  }

  /** A message of a group's log. */
  public record LogEntry(byte[] groupId, long sequence, long epoch, UUID sender, byte[] message, Instant acceptedAt) {}

  /**
   * A local member's position in a group's log: it has read up to {@code acked} and reads up to
   * {@code until} (included; {@link Long#MAX_VALUE} while a member).
   */
  public record Reader(byte[] groupId, UUID client, long acked, long until, byte[] policy) {}

  /** Read back for Fetch and Listen: a log entry with the reader's policy; null message past the byte budget. */
  public record ReadEntry(byte[] groupId, long sequence, long epoch, byte[] message, Instant acceptedAt, byte[] policy,
                          long order) {}

  private static final RowMapper<Reader> READER = (rs, ctx) -> new Reader(rs.getBytes("group_id"),
      rs.getObject("client_uuid", UUID.class), rs.getLong("acked"),
      rs.getObject("until_sequence") == null ? Long.MAX_VALUE : rs.getLong("until_sequence"), rs.getBytes("policy"));

  // --- the send path, in the sender's transaction ---

  /** The group's current readers (members of this domain not removed), read in the caller's transaction. */
  public List<Reader> readers(Handle h, byte[] groupId) {
    return h.createQuery("""
            select group_id, client_uuid, acked, until_sequence, policy from group_readers
            where group_id = :id and until_sequence is null""")
        .bind("id", groupId).map(READER).list();
  }

  /** The current readers of each of these groups, read in the caller's transaction. */
  public Map<ByteString, List<Reader>> readers(Handle h, Collection<ByteString> groupIds) {
    Map<ByteString, List<Reader>> readers = new HashMap<>();
    groupIds.forEach(id -> readers.put(id, new ArrayList<>()));
    h.createQuery("""
            select group_id, client_uuid, acked, until_sequence, policy from group_readers
            where group_id = any(:ids) and until_sequence is null""")
        .bind("ids", SqlArrays.bytea(groupIds.stream().map(ByteString::toByteArray).toList()))
        .map(READER).forEach(r -> readers.get(ByteString.copyFrom(r.groupId())).add(r));
    return readers;
  }

  /** Appends messages to their groups' logs, in one statement; the caller holds the groups' rows. */
  public void append(Handle h, List<LogEntry> entries, List<Boolean> notify) {
    h.createUpdate("""
            insert into group_log (group_id, sequence, epoch, sender, message, accepted_at, unnotified)
            select * from unnest(:groups, :sequences, :epochs, :senders, :messages, :at, :notify)""")
        .bind("groups", SqlArrays.bytea(entries.stream().map(LogEntry::groupId).toList()))
        .bindArray("sequences", Long.class, entries.stream().map(LogEntry::sequence).toList())
        .bindArray("epochs", Long.class, entries.stream().map(LogEntry::epoch).toList())
        .bindArray("senders", UUID.class, entries.stream().map(LogEntry::sender).toList())
        .bind("messages", SqlArrays.bytea(entries.stream().map(LogEntry::message).toList()))
        .bindArray("at", OffsetDateTime.class, entries.stream().map(e -> OffsetDateTime.ofInstant(e.acceptedAt(),
            java.time.ZoneOffset.UTC)).toList())
        .bindArray("notify", Boolean.class, notify.stream().map(n -> n ? Boolean.TRUE : null).toList())
        .execute();
  }

  /**
   * Makes {@code clients} readers of the group after {@code acked} (they read from the next
   * message on), in one statement sorted by client. A client removed earlier that has not read up to
   * its removal yet keeps what is left of it, and what was accepted while it was out becomes a hole;
   * a client still a reader (an external commit that replaces its own leaf) starts again at
   * {@code acked}.
   */
  public void addReaders(Handle h, byte[] groupId, Collection<UUID> clients, long acked) {
    if (clients.isEmpty()) {
      return;
    }
    h.createUpdate("""
            with prior as (
              select client_uuid, until_sequence from group_readers
              where group_id = :id and client_uuid = any(:clients) and until_sequence is not null
                and acked < until_sequence and until_sequence < :acked
              order by client_uuid for no key update)
            insert into group_reader_holes (group_id, client_uuid, after, up_to)
            select :id, client_uuid, until_sequence, :acked from prior""")
        .bind("id", groupId).bind("acked", acked).bindArray("clients", UUID.class, clients).execute();
    h.createUpdate("""
            insert into group_readers (group_id, client_uuid, acked)
            select :id, c, :acked from unnest(:clients) as c order by c
            on conflict (group_id, client_uuid) do update
              set acked = case when group_readers.until_sequence is not null
                                    and group_readers.acked < group_readers.until_sequence
                               then group_readers.acked
                               else greatest(group_readers.acked, excluded.acked) end,
                  until_sequence = null, policy = null""")
        .bind("id", groupId).bind("acked", acked).bindArray("clients", UUID.class, clients).execute();
  }

  /** Ends the reading of {@code clients} at {@code until} (the message that removed them, included). */
  public void endReaders(Handle h, byte[] groupId, Collection<UUID> clients, long until) {
    if (clients.isEmpty()) {
      return;
    }
    h.createUpdate("""
            with locked as (
              select client_uuid from group_readers
              where group_id = :id and client_uuid = any(:clients) and until_sequence is null
              order by client_uuid for no key update)
            update group_readers r set until_sequence = :until from locked
            where r.group_id = :id and r.client_uuid = locked.client_uuid""")
        .bind("id", groupId).bind("until", until).bindArray("clients", UUID.class, clients).execute();
  }

  /** Ends the reading of every reader of a group being deleted at {@code until} (its last message). */
  public void endAllReaders(Handle h, byte[] groupId, long until) {
    h.createUpdate("""
            with locked as (
              select client_uuid from group_readers where group_id = :id and until_sequence is null
              order by client_uuid for no key update)
            update group_readers r set until_sequence = :until from locked
            where r.group_id = :id and r.client_uuid = locked.client_uuid""")
        .bind("id", groupId).bind("until", until).execute();
  }

  /** Sets or (null) clears a reader's policy for the group; false if the client is not a reader. */
  public boolean setPolicy(Handle h, byte[] groupId, UUID client, byte[] policy) {
    return h.createUpdate("""
            update group_readers set policy = :policy
            where group_id = :id and client_uuid = :client and until_sequence is null""")
        .bind("policy", policy).bind("id", groupId).bind("client", client).execute() == 1;
  }

  /** Forgets the client as a reader of every group (a purge). */
  public void dropReader(Handle h, UUID client) {
    h.createUpdate("delete from group_reader_holes where client_uuid = :c").bind("c", client).execute();
    h.createUpdate("""
            with locked as (
              select group_id from group_readers where client_uuid = :c order by group_id for update)
            delete from group_readers r using locked where r.group_id = locked.group_id and r.client_uuid = :c""")
        .bind("c", client).execute();
  }

  // --- acknowledgement ---

  /** Positions to move: the client's in the group up to the sequence, one row each. */
  public record Position(UUID client, ByteString group, long sequence) {}

  /** The indexes of the positions given whose sequence is beyond their group's last message. */
  public Set<Integer> beyond(Handle h, List<Position> positions) {
    if (positions.isEmpty()) {
      return Set.of();
    }
    return new HashSet<>(h.createQuery("""
            select (t.o - 1)::int from unnest(:groups, :seqs) with ordinality as t(g, s, o)
            join groups gr on gr.group_id = t.g where t.s > gr.last_sequence""")
        .bind("groups", SqlArrays.bytea(positions.stream().map(p -> p.group().toByteArray()).toList()))
        .bindArray("seqs", Long.class, positions.stream().map(Position::sequence).toList())
        .mapTo(Integer.class).list());
  }

  /**
   * Moves readers' positions up to the given sequences (a position never goes back), in one
   * statement locking their rows in group then client order; at most one position per client and
   * group. A group the client does not read is ignored.
   */
  public void acknowledge(Handle h, List<Position> positions) {
    if (positions.isEmpty()) {
      return;
    }
    h.createUpdate("""
            with t as (select * from unnest(:clients, :groups, :seqs) as t(c, g, s)),
            locked as (
              select r.group_id, r.client_uuid, t.s from group_readers r
              join t on r.group_id = t.g and r.client_uuid = t.c
              where r.acked < t.s
              order by r.group_id, r.client_uuid for no key update of r)
            update group_readers r set acked = locked.s from locked
            where r.group_id = locked.group_id and r.client_uuid = locked.client_uuid""")
        .bindArray("clients", UUID.class, positions.stream().map(Position::client).toList())
        .bind("groups", SqlArrays.bytea(positions.stream().map(p -> p.group().toByteArray()).toList()))
        .bindArray("seqs", Long.class, positions.stream().map(Position::sequence).toList())
        .execute();
  }

  // --- reading ---

  /** The client's positions in every group it reads. */
  public List<Reader> positionsOf(UUID client) {
    return db.withHandle(h -> h.createQuery("""
            select group_id, client_uuid, acked, until_sequence, policy from group_readers
            where client_uuid = :c order by group_id""")
        .bind("c", client).map(READER).list());
  }

  /**
   * Up to {@code limit + 1} log entries for {@code client} in the groups given, each after the
   * higher of the given position and its acknowledged one and up to where it reads, not its own,
   * group by group in order; with their message while the running total of message and policy bytes
   * stays within {@code byteBudget} (always for the first).
   */
  public List<ReadEntry> entries(UUID client, List<byte[]> groups, List<Long> after, int limit, long byteBudget) {
    if (groups.isEmpty()) {
      return List.of();
    }
    return db.withHandle(h -> h.createQuery("""
            select group_id, sequence, epoch, accepted_at, policy, ord,
                   case when n = 1 or running <= :budget then message end as message
            from (
              select l.group_id, l.sequence, l.epoch, l.accepted_at, r.policy, l.message, l.ord,
                     row_number() over w as n,
                     sum(octet_length(l.message) + coalesce(octet_length(r.policy), 0)) over w as running
              from unnest(:groups, :afters) with ordinality as t(g, after, o)
              join group_readers r on r.group_id = t.g and r.client_uuid = :c
              join group_log l on l.group_id = t.g and l.sequence > greatest(t.after, r.acked)
                and (r.until_sequence is null or l.sequence <= r.until_sequence)
              where l.sender <> :c
                and not exists (select 1 from group_reader_holes x where x.group_id = t.g and x.client_uuid = :c
                                and l.sequence > x.after and l.sequence <= x.up_to)
              window w as (order by l.ord)
              order by l.ord
              limit :rows) page
            order by n""")
        .bind("groups", SqlArrays.bytea(groups)).bindArray("afters", Long.class, after)
        .bind("c", client).bind("rows", limit + 1).bind("budget", byteBudget)
        .map((rs, ctx) -> new ReadEntry(rs.getBytes("group_id"), rs.getLong("sequence"), rs.getLong("epoch"),
            rs.getBytes("message"), rs.getObject("accepted_at", OffsetDateTime.class).toInstant(), rs.getBytes("policy"),
            rs.getLong("ord")))
        .list());
  }

  /** The readers of a group that have not read {@code sequence} yet and are to read it, other than its sender. */
  public List<Reader> readersOf(byte[] groupId, long sequence, UUID sender) {
    return db.withHandle(h -> h.createQuery("""
            select group_id, client_uuid, acked, until_sequence, policy from group_readers r
            where group_id = :id and acked < :seq and (until_sequence is null or :seq <= until_sequence)
              and client_uuid <> :sender
              and not exists (select 1 from group_reader_holes x where x.group_id = r.group_id
                              and x.client_uuid = r.client_uuid and :seq > x.after and :seq <= x.up_to)""")
        .bind("id", groupId).bind("seq", sequence).bind("sender", sender).map(READER).list());
  }

  // --- notifications ---

  /** Up to {@code limit} log messages whose notifications the notifier has not taken since before {@code before}. */
  public List<LogEntry> unnotified(Instant before, int limit) {
    return db.withHandle(h -> h.createQuery("""
            select group_id, sequence, epoch, sender, accepted_at from group_log
            where unnotified and accepted_at < :before order by accepted_at limit :limit""")
        .bind("before", before).bind("limit", limit)
        .map((rs, ctx) -> new LogEntry(rs.getBytes("group_id"), rs.getLong("sequence"), rs.getLong("epoch"),
            rs.getObject("sender", UUID.class), null, rs.getObject("accepted_at", OffsetDateTime.class).toInstant()))
        .list());
  }

  /** The notifier took the notifications of these messages: clears their marks, in key order. */
  public void markNotified(List<byte[]> groups, List<Long> sequences) {
    if (groups.isEmpty()) {
      return;
    }
    db.useHandle(h -> h.createUpdate("""
            with t as (select * from unnest(:groups, :seqs) as t(g, s)),
            locked as (
              select l.group_id, l.sequence from group_log l join t on l.group_id = t.g and l.sequence = t.s
              where l.unnotified order by l.group_id, l.sequence for no key update of l)
            update group_log l set unnotified = false from locked
            where l.group_id = locked.group_id and l.sequence = locked.sequence""")
        .bind("groups", SqlArrays.bytea(groups)).bindArray("seqs", Long.class, sequences).execute());
  }

  // --- maintenance ---

  /** A reader that fell behind: it has read up to {@code acked}; the log's entries up to {@code upTo} go for it. */
  public record Behind(byte[] groupId, UUID client, long acked, long upTo, long dropped, boolean byRetention) {}

  /**
   * The readers that would lose entries if the log dropped what is older than {@code cutoff} or
   * more than {@code cap} behind its group's last message: how far each is to be moved, and how many
   * of its entries (not its own) that skips.
   */
  public List<Behind> behind(Instant cutoff, int cap, int limit) {
    return db.withHandle(h -> h.createQuery("""
            with expired as (
              select group_id, max(sequence) as up_to from group_log where accepted_at < :cutoff group by group_id),
            marks as (
              select r.group_id, r.client_uuid, r.acked, coalesce(r.until_sequence, 9223372036854775807) as until,
                     coalesce(e.up_to, 0) as expired, coalesce(g.last_sequence - :cap, 0) as capped
              from group_readers r
              left join expired e on e.group_id = r.group_id
              left join groups g on g.group_id = r.group_id),
            stale as (
              select group_id, client_uuid, acked, least(until, greatest(expired, capped)) as up_to,
                     expired >= capped as by_retention
              from marks)
            select s.group_id, s.client_uuid, s.acked, s.up_to, s.by_retention,
                   (select count(*) from group_log l where l.group_id = s.group_id and l.sequence > s.acked
                      and l.sequence <= s.up_to and l.sender <> s.client_uuid) as dropped
            from stale s where s.up_to > s.acked
            order by s.group_id, s.client_uuid limit :limit""")
        .bind("cutoff", cutoff).bind("cap", cap).bind("limit", limit)
        .map((rs, ctx) -> new Behind(rs.getBytes("group_id"), rs.getObject("client_uuid", UUID.class),
            rs.getLong("acked"), rs.getLong("up_to"), rs.getLong("dropped"), rs.getBoolean("by_retention")))
        .list());
  }

  /** Moves a reader that fell behind to {@code upTo}, unless it moved meanwhile; whether it did. */
  public boolean moveOn(Handle h, Behind behind) {
    return h.createUpdate("""
            update group_readers set acked = :upTo
            where group_id = :id and client_uuid = :c and acked = :acked""")
        .bind("upTo", behind.upTo()).bind("id", behind.groupId()).bind("c", behind.client())
        .bind("acked", behind.acked()).execute() == 1;
  }

  /**
   * Deletes what no reader needs any more: readers past the message that removed them, and log
   * entries every reader has read (or that are the reader's own); how many entries went. A hosted
   * group with members of other domains keeps its entries accepted since {@code keepSince} (the
   * retention) for followers that fetch what they missed, and the states and Welcomes it keeps for
   * followers go once every follower was sent them and the log no longer holds their message.
   */
  public int compact(Instant keepSince) {
    return db.inTransaction(h -> {
      h.createUpdate("""
              delete from group_reader_holes x using group_readers r
              where r.group_id = x.group_id and r.client_uuid = x.client_uuid and r.acked >= x.up_to""").execute();
      h.createUpdate("""
              with locked as (
                select group_id, client_uuid from group_readers
                where until_sequence is not null and acked >= until_sequence
                order by group_id, client_uuid for update skip locked)
              delete from group_readers r using locked
              where r.group_id = locked.group_id and r.client_uuid = locked.client_uuid""").execute();
      return h.createUpdate("""
              delete from group_log l
              where not exists (select 1 from group_readers r
                                where r.group_id = l.group_id and r.acked < l.sequence
                                  and (r.until_sequence is null or l.sequence <= r.until_sequence)
                                  and r.client_uuid <> l.sender)
                and (l.unnotified is null or not l.unnotified)
                and not exists (select 1 from groups g
                                where g.group_id = l.group_id and g.federated and g.hub is null
                                  and l.accepted_at >= :keepSince)""").bind("keepSince", keepSince).execute()
          + compactFanOut(h);
    });
  }

  /** The fan-out's states and Welcomes (V12) that no follower can still need; how many went. */
  private static int compactFanOut(Handle h) {
    int states = h.createUpdate("""
            delete from fanout_states s
            where not exists (select 1 from group_log l where l.group_id = s.group_id and l.sequence <= s.sequence)
              and not exists (select 1 from group_domains d where d.group_id = s.group_id and d.sent_through < s.sequence)""")
        .execute();
    return states + h.createUpdate("""
            delete from fanout_welcomes w
            where not exists (select 1 from group_log l where l.group_id = w.group_id and l.sequence <= w.sequence)
              and not exists (select 1 from group_domains d
                              where d.group_id = w.group_id and d.domain = w.domain and d.sent_through < w.sequence)""")
        .execute();
  }

  /** The last sequence of each of these groups that exists. */
  public Map<ByteString, Long> lastSequences(List<ByteString> groups) {
    return db.withHandle(h -> h.createQuery("select group_id, last_sequence from groups where group_id = any(:ids)")
        .bind("ids", SqlArrays.bytea(groups.stream().map(ByteString::toByteArray).toList()))
        .reduceRows(new java.util.HashMap<ByteString, Long>(), (map, row) -> {
          map.put(ByteString.copyFrom(row.getColumn("group_id", byte[].class)), row.getColumn("last_sequence", Long.class));
          return map;
        }));
  }
}
