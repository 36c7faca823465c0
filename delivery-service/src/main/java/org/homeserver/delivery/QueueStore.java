package org.homeserver.delivery;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.homeserver.platform.db.IdempotencyRecords;
import org.jdbi.v3.core.Handle;
import org.homeserver.platform.db.SqlArrays;
import org.homeserver.platform.db.Transactions;
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * Persistence of the delivery queues; all of their SQL lives here. Every statement on the send path
 * handles all recipients at once (arrays and unnest), so a send costs the same few round trips
 * whether it has one recipient or a thousand. The lock order of V9__lock_order.sql is kept here and
 * by the callers in {@link Queues}; each method says which locks it takes.
 */
public final class QueueStore {
  /** The advisory lock key of the body sweep ("bodysweep" in ASCII). */
  private static final long SWEEP_LOCK = 0x626f647973776570L;

  private final Transactions db;

  public QueueStore(Transactions db) {
    this.db = db;
  }

  /** A client's queue position: live entries are {@code floor + 1 .. last}. */
  public record Head(UUID client, long last, long floor) {}

  /** A body as stored: the kind code and serialized content of {@link QueueContent}, and its group. */
  public record Body(short kind, byte[] content, Optional<byte[]> groupId) {}

  /** The entry of one recipient of a new body. */
  public record NewEntry(UUID client, long sequence, Optional<byte[]> notificationPolicy) {}

  /** A gap event to queue: its serialized ServerEvent, at {@code sequence} of {@code client}'s queue. */
  public record NewEvent(UUID client, long sequence, byte[] event) {}

  /** Entries {@code after + 1 .. upTo} of a client's queue, to drop. */
  public record Range(UUID client, long after, long upTo) {}

  /** How many dropped entries of one client pointed at one body, and the body's group. */
  public record Dropped(UUID client, long bodyId, int entries, Optional<byte[]> groupId) {}

  /**
   * An entry read back for Fetch; {@code content} is null past the byte budget. {@code order} is its
   * body's id, which orders it among the client's group messages (V10__group_log.sql).
   */
  public record StoredEntry(long sequence, Instant receivedAt, short kind, byte[] content, byte[] notificationPolicy,
                            long order) {}

  /** Row counts, for status and tests. */
  public record Counts(long bodies, long entries, long idempotencyRecords) {}

  private static final RowMapper<Head> HEAD = (rs, ctx) -> new Head(rs.getObject("client_uuid", UUID.class),
      rs.getLong("last_sequence"), rs.getLong("floor_sequence"));

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    return rs.getObject(column, OffsetDateTime.class).toInstant();
  }

  /** Runs {@code work} in one transaction (READ COMMITTED; the row locks below do the ordering). */
  public <T> T inTransaction(Function<Handle, T> work) {
    return db.inTransaction(work::apply);
  }

  /** Forgets idempotency records created before {@code before}; how many. */
  public int deleteIdempotencyRecordsBefore(Instant before) {
    return IdempotencyRecords.deleteBefore(db, before);
  }

  // --- heads ---

  /**
   * Gives each client the next sequence number (creating its head at 1 if it has none) and returns
   * the heads with it included. Locks the heads in client uuid order: the rows are inserted or
   * updated in the order of the sorted select, so overlapping sends wait for each other instead of
   * deadlocking.
   */
  public List<Head> allocateNext(Handle h, Collection<UUID> clients, Instant now) {
    return h.createQuery("""
            insert into queue_heads (client_uuid, last_sequence, floor_sequence, unnotified_since)
            select c, 1, 0, :now from unnest(:clients) as c order by c
            on conflict (client_uuid) do update set last_sequence = queue_heads.last_sequence + 1,
              unnotified_since = coalesce(queue_heads.unnotified_since, excluded.unnotified_since)
            returning client_uuid, last_sequence, floor_sequence""")
        .bindArray("clients", UUID.class, clients)
        .bind("now", now)
        .map(HEAD).list();
  }

  /**
   * The notifier took the notifications of each client's entries up to the given sequence: clears
   * the mark of the queues that have no later entry (a later one's own hand-off clears it). Locks
   * the marked heads in client uuid order, as every statement on queue_heads does, so it cannot
   * deadlock with a send holding some of them.
   */
  public void markNotified(Map<UUID, Long> upTo) {
    if (upTo.isEmpty()) {
      return;
    }
    List<UUID> clients = List.copyOf(upTo.keySet());
    db.useHandle(h -> h.createUpdate("""
            with t(client, up_to) as (select * from unnest(:clients, :upTo)),
            locked as (
              select q.client_uuid from queue_heads q join t on q.client_uuid = t.client
              where q.last_sequence <= t.up_to and q.unnotified_since is not null
              order by q.client_uuid for no key update of q)
            update queue_heads q set unnotified_since = null from locked where q.client_uuid = locked.client_uuid""")
        .bindArray("clients", UUID.class, clients)
        .bindArray("upTo", Long.class, clients.stream().map(upTo::get).toList())
        .execute());
  }

  /** Up to {@code limit} queues marked unnotified since before {@code before}, oldest mark first. */
  public List<Head> unnotified(Instant before, int limit) {
    return db.withHandle(h -> h.createQuery("""
            select client_uuid, last_sequence, floor_sequence from queue_heads
            where unnotified_since < :before order by unnotified_since limit :limit""")
        .bind("before", before).bind("limit", limit).map(HEAD).list());
  }

  /**
   * Locks the heads of {@code clients} in uuid order, creating those that do not exist, without
   * changing them; for a transaction that then allocates in several statements.
   */
  public void lockHeads(Handle h, Collection<UUID> clients) {
    h.createUpdate("""
            insert into queue_heads (client_uuid, last_sequence, floor_sequence)
            select c, 0, 0 from unnest(:clients) as c order by c
            on conflict (client_uuid) do update set last_sequence = queue_heads.last_sequence""")
        .bindArray("clients", UUID.class, clients)
        .execute();
  }

  /** Locks the heads of {@code clients} in uuid order, skipping any another transaction holds. */
  public List<Head> lockHeadsSkippingBusy(Handle h, Collection<UUID> clients) {
    return h.createQuery("""
            select client_uuid, last_sequence, floor_sequence from queue_heads
            where client_uuid = any(:clients) order by client_uuid for update skip locked""")
        .bindArray("clients", UUID.class, clients)
        .map(HEAD).list();
  }

  /** Writes heads this transaction has locked. */
  public void updateHeads(Handle h, List<Head> heads) {
    h.createUpdate("""
            update queue_heads h set last_sequence = t.last, floor_sequence = t.floor
            from unnest(:clients, :lasts, :floors) as t(client, last, floor)
            where h.client_uuid = t.client""")
        .bindArray("clients", UUID.class, heads.stream().map(Head::client).toList())
        .bindArray("lasts", Long.class, heads.stream().map(Head::last).toList())
        .bindArray("floors", Long.class, heads.stream().map(Head::floor).toList())
        .execute();
  }

  /** The indexes of the acknowledgements given (client, up to) beyond their client's last entry, or of clients with no queue. */
  public Set<Integer> beyond(Handle h, List<UUID> clients, List<Long> upTo) {
    if (clients.isEmpty()) {
      return Set.of();
    }
    return new HashSet<>(h.createQuery("""
            select (t.o - 1)::int from unnest(:clients, :upTo) with ordinality as t(c, u, o)
            left join queue_heads q on q.client_uuid = t.c
            where q.client_uuid is null or q.last_sequence < t.u""")
        .bindArray("clients", UUID.class, clients).bindArray("upTo", Long.class, upTo)
        .mapTo(Integer.class).list());
  }

  /**
   * Acknowledges clients' own queues in one statement: raises each floor to its {@code upTo},
   * deletes the entries up to there and records the bodies they release. Locks the heads in client
   * order, so it waits for sends to those clients, never for other clients' acks. One row per
   * client, each given out already ({@link #beyond} says which are not).
   */
  public void acknowledge(Handle h, Map<UUID, Long> upTo) {
    if (upTo.isEmpty()) {
      return;
    }
    List<UUID> clients = List.copyOf(upTo.keySet());
    h.createQuery("""
            with t as (select * from unnest(:clients, :upTo) as t(c, u)),
            locked as (
              select q.client_uuid, t.u from queue_heads q join t on q.client_uuid = t.c
              where q.last_sequence >= t.u
              order by q.client_uuid for no key update of q),
            head as (
              update queue_heads q set floor_sequence = greatest(q.floor_sequence, locked.u) from locked
              where q.client_uuid = locked.client_uuid
              returning q.client_uuid, locked.u),
            gone as (
              delete from queue_entries e using head
              where e.client_uuid = head.client_uuid and e.sequence <= head.u
              returning e.body_id),
            released as (
              insert into body_releases (body_id, entries)
              select body_id, count(*) from gone group by body_id)
            select count(*) from head""")
        .bindArray("clients", UUID.class, clients).bindArray("upTo", Long.class, clients.stream().map(upTo::get).toList())
        .mapTo(Integer.class).one();
  }

  /** Forgets the client's idempotency records, in the caller's transaction: the first lock of a purge. */
  public void forgetIdempotency(Handle h, UUID client) {
    h.createUpdate("delete from idempotency_records where sender_client = :c").bind("c", client).execute();
  }

  /**
   * Deletes a client's whole queue in the caller's transaction, in the lock order: its head, its
   * entries (recording the bodies they release), then its Listen generation.
   */
  public void dropQueue(Handle h, UUID client) {
    h.createUpdate("delete from queue_heads where client_uuid = :c").bind("c", client).execute();
    h.createUpdate("""
            with gone as (delete from queue_entries where client_uuid = :c returning body_id)
            insert into body_releases (body_id, entries) select body_id, count(*) from gone group by body_id""")
        .bind("c", client).execute();
    h.createUpdate("delete from listen_generations where client_uuid = :c").bind("c", client).execute();
  }

  /** The next Listen generation of the client (1 for its first stream), live until {@code liveUntil}. */
  public long nextListenGeneration(UUID client, Instant liveUntil) {
    return db.withHandle(h -> h.createQuery("""
            insert into listen_generations (client_uuid, generation, live_until) values (:client, 1, :liveUntil)
            on conflict (client_uuid) do update
              set generation = listen_generations.generation + 1, live_until = excluded.live_until
            returning generation""")
        .bind("client", client).bind("liveUntil", liveUntil).mapTo(Long.class).one());
  }

  /**
   * Extends the liveness of each client's stream of the given generation (a newer one keeps its
   * own). Locks the rows in client uuid order, so renewals of two processes cannot deadlock.
   */
  public void keepListening(Map<UUID, Long> generations, Instant liveUntil) {
    if (generations.isEmpty()) {
      return;
    }
    List<UUID> clients = List.copyOf(generations.keySet());
    db.useHandle(h -> h.createUpdate("""
            with locked as (
              select g.client_uuid from listen_generations g
              join unnest(:clients, :generations) as t(client, generation)
                on g.client_uuid = t.client and g.generation = t.generation
              order by g.client_uuid for no key update of g)
            update listen_generations g set live_until = :liveUntil from locked where g.client_uuid = locked.client_uuid""")
        .bindArray("clients", UUID.class, clients)
        .bindArray("generations", Long.class, clients.stream().map(generations::get).toList())
        .bind("liveUntil", liveUntil).execute());
  }

  public void stopListening(UUID client, long generation) {
    db.useHandle(h -> h.createUpdate("""
            update listen_generations set live_until = null where client_uuid = :client and generation = :generation""")
        .bind("client", client).bind("generation", generation).execute());
  }

  /** Those of {@code clients} whose newest stream is live at {@code now}. */
  public Set<UUID> listening(Collection<UUID> clients, Instant now) {
    if (clients.isEmpty()) {
      return Set.of();
    }
    return db.withHandle(h -> h.createQuery("""
            select client_uuid from listen_generations where client_uuid = any(:clients) and live_until > :now""")
        .bindArray("clients", UUID.class, clients).bind("now", now).mapTo(UUID.class).set());
  }

  /** Where a client's queue and Listen streams stand; zeros for what it does not have yet. */
  public record Position(UUID client, long last, long floor, long listenGeneration) {}

  /** The positions of {@code clients}, in one statement (no locks). */
  public List<Position> positions(Collection<UUID> clients) {
    return db.withHandle(h -> h.createQuery("""
            select c.client_uuid, coalesce(h.last_sequence, 0) as last_sequence,
                   coalesce(h.floor_sequence, 0) as floor_sequence, coalesce(g.generation, 0) as generation
            from unnest(:clients) as c(client_uuid)
            left join queue_heads h on h.client_uuid = c.client_uuid
            left join listen_generations g on g.client_uuid = c.client_uuid""")
        .bindArray("clients", UUID.class, clients)
        .map((rs, ctx) -> new Position(rs.getObject("client_uuid", UUID.class), rs.getLong("last_sequence"),
            rs.getLong("floor_sequence"), rs.getLong("generation")))
        .list());
  }

  /** The client's floor: 0 if it has no queue yet. */
  public long floor(UUID client) {
    return db.withHandle(h -> h.createQuery("select floor_sequence from queue_heads where client_uuid = :client")
        .bind("client", client).mapTo(Long.class).findOne().orElse(0L));
  }

  // --- entries and bodies ---

  /** Stores one body and its recipients' entries, in one statement. */
  public void insertBody(Handle h, Body body, List<NewEntry> entries, Instant now) {
    h.createUpdate("""
            with body as (
              insert into queue_bodies (kind, content, group_id, remaining, created_at)
              values (:kind, :content, :groupId, :remaining, :now)
              returning id)
            insert into queue_entries (client_uuid, sequence, body_id, notification_policy, received_at)
            select t.client, t.seq, body.id, t.policy, :now
            from body, unnest(:clients, :seqs, :policies) as t(client, seq, policy)""")
        .bind("kind", body.kind()).bind("content", body.content()).bind("groupId", body.groupId().orElse(null))
        .bind("remaining", entries.size()).bind("now", now)
        .bindArray("clients", UUID.class, entries.stream().map(NewEntry::client).toList())
        .bindArray("seqs", Long.class, entries.stream().map(NewEntry::sequence).toList())
        .bind("policies", SqlArrays.bytea(entries.stream().map(e -> e.notificationPolicy().orElse(null)).toList()))
        .execute();
  }

  /** Queues each event as its own body with one entry (gap events differ per client), in one statement. */
  public void insertEvents(Handle h, List<NewEvent> events, Instant now) {
    // The CTE is materialised once (it is referenced twice and calls nextval), so each body id is
    // drawn once and the body and its entry get the same one.
    h.createUpdate("""
            with g as (
              select nextval('body_ids') as id, t.client, t.seq, t.content
              from unnest(:clients, :seqs, :contents) as t(client, seq, content)),
            b as (
              insert into queue_bodies (id, kind, content, group_id, remaining, created_at)
              select id, 3, content, null, 1, :now from g)
            insert into queue_entries (client_uuid, sequence, body_id, notification_policy, received_at)
            select client, seq, id, null, :now from g""")
        .bindArray("clients", UUID.class, events.stream().map(NewEvent::client).toList())
        .bindArray("seqs", Long.class, events.stream().map(NewEvent::sequence).toList())
        .bind("contents", SqlArrays.bytea(events.stream().map(NewEvent::event).toList()))
        .bind("now", now)
        .execute();
  }

  /** Deletes the ranges and answers what they held, per client and body. The caller holds the heads. */
  public List<Dropped> deleteRanges(Handle h, List<Range> ranges) {
    return h.createQuery("""
            with gone as (
              delete from queue_entries e
              using unnest(:clients, :afters, :upTos) as r(client, after, up_to)
              where e.client_uuid = r.client and e.sequence > r.after and e.sequence <= r.up_to
              returning e.client_uuid, e.body_id)
            select g.client_uuid, g.body_id, count(*)::int as n, b.group_id
            from gone g join queue_bodies b on b.id = g.body_id
            group by g.client_uuid, g.body_id, b.group_id""")
        .bindArray("clients", UUID.class, ranges.stream().map(Range::client).toList())
        .bindArray("afters", Long.class, ranges.stream().map(Range::after).toList())
        .bindArray("upTos", Long.class, ranges.stream().map(Range::upTo).toList())
        .map((rs, ctx) -> new Dropped(rs.getObject("client_uuid", UUID.class), rs.getLong("body_id"),
            rs.getInt("n"), Optional.ofNullable(rs.getBytes("group_id"))))
        .list();
  }

  /**
   * Records that {@code released} (body id to entries deleted) no longer point at their bodies: an
   * append, so recipients acknowledging the same body never wait for each other. Takes no lock.
   */
  public void releaseBodies(Handle h, Map<Long, Integer> released) {
    if (released.isEmpty()) {
      return;
    }
    List<Long> ids = List.copyOf(released.keySet());
    h.createUpdate("insert into body_releases (body_id, entries) select * from unnest(:ids, :counts)")
        .bindArray("ids", Long.class, ids).bindArray("counts", Integer.class, ids.stream().map(released::get).toList())
        .execute();
  }

  /**
   * Applies the recorded releases to their bodies and deletes the bodies no entry points at any more;
   * how many were deleted. One sweep at a time (a transaction-scoped advisory lock): a sweep that
   * finds another running skips its turn, so processes never wait for each other here.
   */
  public int sweepReleasedBodies() {
    return db.inTransaction(h -> {
      if (!h.createQuery("select pg_try_advisory_xact_lock(:key)").bind("key", SWEEP_LOCK).mapTo(Boolean.class).one()) {
        return 0;
      }
      h.createUpdate("""
              with consumed as (delete from body_releases returning body_id, entries),
                   totals as (select body_id, sum(entries)::int as n from consumed group by body_id order by body_id)
              update queue_bodies b set remaining = b.remaining - t.n from totals t where b.id = t.body_id""")
          .execute();
      return h.createUpdate("delete from queue_bodies where remaining = 0").execute();
    });
  }

  /**
   * Up to {@code limit + 1} entries of {@code client} after {@code after}, oldest first, with their
   * content while the running total of content and policy bytes stays within {@code byteBudget}
   * (always for the first): the rows past the budget come back without content, so a page of huge
   * entries never loads more than it can send and the caller still learns that more follow.
   */
  public List<StoredEntry> entriesAfter(UUID client, long after, int limit, long byteBudget) {
    return db.withHandle(h -> h.createQuery("""
            select sequence, received_at, notification_policy, kind, body_id,
                   case when n = 1 or running <= :budget then content end as content
            from (
              select e.sequence, e.received_at, e.notification_policy, b.kind, b.content, e.body_id,
                     row_number() over w as n,
                     sum(octet_length(b.content) + coalesce(octet_length(e.notification_policy), 0)) over w as running
              from queue_entries e join queue_bodies b on b.id = e.body_id
              where e.client_uuid = :client and e.sequence > :after
              window w as (order by e.sequence)
              order by e.sequence
              limit :rows) page
            order by sequence""")
        .bind("client", client).bind("after", after).bind("rows", limit + 1).bind("budget", byteBudget)
        .map((rs, ctx) -> new StoredEntry(rs.getLong("sequence"), instant(rs, "received_at"), rs.getShort("kind"),
            rs.getBytes("content"), rs.getBytes("notification_policy"), rs.getLong("body_id")))
        .list());
  }

  // --- retention ---

  /**
   * Clients after {@code after} (uuid order) whose oldest entry was received before {@code cutoff}.
   * A queue is the contiguous range above its floor, so its oldest entry is at floor + 1: one
   * primary-key probe per head, and the send path needs no index on received_at.
   */
  public List<UUID> clientsWithEntriesBefore(Instant cutoff, Optional<UUID> after, int limit) {
    return db.withHandle(h -> h.createQuery("""
            select h.client_uuid from queue_heads h
            join queue_entries e on e.client_uuid = h.client_uuid and e.sequence = h.floor_sequence + 1
            where e.received_at < :cutoff and (cast(:after as uuid) is null or h.client_uuid > cast(:after as uuid))
            order by h.client_uuid limit :limit""")
        .bind("cutoff", cutoff).bind("after", after.orElse(null)).bind("limit", limit)
        .mapTo(UUID.class).list());
  }

  /** For each client, the highest sequence among its entries received before {@code cutoff}. */
  public Map<UUID, Long> lastSequenceBefore(Handle h, Collection<UUID> clients, Instant cutoff) {
    return h.createQuery("""
            select client_uuid, max(sequence) as last from queue_entries
            where client_uuid = any(:clients) and received_at < :cutoff group by client_uuid""")
        .bindArray("clients", UUID.class, clients).bind("cutoff", cutoff)
        .reduceRows(new HashMap<UUID, Long>(), (acc, row) -> {
          acc.put(row.getColumn("client_uuid", UUID.class), row.getColumn("last", Long.class));
          return acc;
        });
  }

  /**
   * Bodies whose remaining count, less the releases not swept yet, differs from the entries pointing
   * at them, plus entries whose body is gone. Zero unless the bookkeeping that replaces a foreign
   * key is broken; full scans, for tests and diagnosis only.
   */
  public long inconsistencies() {
    return db.withHandle(h -> h.createQuery("""
            select (select count(*) from queue_bodies b
                    left join (select body_id, count(*) as n from queue_entries group by body_id) e on e.body_id = b.id
                    left join (select body_id, sum(entries) as n from body_releases group by body_id) r
                      on r.body_id = b.id
                    where b.remaining - coalesce(r.n, 0) <> coalesce(e.n, 0))
                 + (select count(*) from queue_entries e
                    where not exists (select 1 from queue_bodies b where b.id = e.body_id))""")
        .mapTo(Long.class).one());
  }

  public Counts counts() {
    return db.withHandle(h -> h.createQuery("""
            select (select count(*) from queue_bodies), (select count(*) from queue_entries),
                   (select count(*) from idempotency_records)""")
        .map((rs, ctx) -> new Counts(rs.getLong(1), rs.getLong(2), rs.getLong(3))).one());
  }
}
