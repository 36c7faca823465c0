package org.homeserver.federation.outbox;

import com.google.protobuf.InvalidProtocolBufferException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.homeserver.api.federation.v1.Delivery;
import org.homeserver.platform.db.Transactions;

/**
 * Persistence of the federation outbox and of the outbox's view of each peer (V1__federation.sql:
 * outbox, outbox_rejected, outbox_leases, peers); all of their SQL lives here. Every timestamp comes
 * from the caller's clock, never from the database's. A lane is changed only by the holder of its
 * lease, except by {@link #resetBackoff}, whose changes are harmless to a holder.
 */
public final class OutboxStore {
  /** The most deliveries one DeliverBatch carries (federation.proto). */
  public static final int BATCH_ENTRIES = 100;
  /** The most delivery bytes one batch carries, under the 8 MiB request limit with room for framing and signatures. */
  public static final long BATCH_BYTES = 7L * 1024 * 1024;

  private final Transactions db;

  public OutboxStore(Transactions db) {
    this.db = db;
  }

  /** One ordered lane of a destination: {@code control}, or {@code group:} and the group id in hex. */
  public record Lane(String destination, String name) {}

  /** An entry of a lane as read for sending. */
  public record Entry(long id, String idempotencyKey, Delivery delivery, int attempts) {}

  /** An entry the peer answered with a final error, and that error. */
  public record Rejection(long id, String error) {}

  /** A lane head the peer answered with a retriable error, and when to try it again. */
  public record Retry(long id, String error, Instant nextAttemptAt) {}

  /** What a batch's results do to its lane: entries to delete, entries to set aside, the head to try again. */
  public record Settlement(List<Long> delivered, List<Rejection> rejected, Optional<Retry> retry) {}

  /** The outbox's view of one destination, for ListPeers (federation_admin.proto Peer). */
  public record DestinationStatus(String domain, long depth, Optional<Instant> oldestPendingAt,
                                  Optional<String> lastError, Optional<Instant> lastErrorAt,
                                  Optional<Instant> lastSuccessAt, int consecutiveFailures,
                                  Optional<Instant> nextAttemptAt, long rejected) {}

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }

  // --- enqueue ---

  /**
   * Queues {@code delivery} at the end of {@code lane} of {@code destination}, due at {@code now};
   * the entry's id. The same idempotency key for the destination again queues nothing and returns
   * the id of the entry it queued (while that entry waits; once sent, the key queues anew, and the
   * peer's idempotency makes the resend harmless).
   */
  public long enqueue(String destination, String lane, String idempotencyKey, Delivery delivery, Instant now) {
    return db.inTransaction(h -> {
      while (true) {
        Optional<Long> id = h.createQuery("""
                insert into outbox (destination, lane, idempotency_key, delivery, enqueued_at, next_attempt_at)
                values (:destination, :lane, :key, :delivery, :now, :now)
                on conflict (destination, idempotency_key) do nothing
                returning id""")
            .bind("destination", destination).bind("lane", lane).bind("key", idempotencyKey)
            .bind("delivery", delivery.toByteArray()).bind("now", now)
            .mapTo(Long.class).findOne()
            // A conflicting insert waited for the other's commit, so this statement's snapshot sees its row,
            // unless the entry was sent and deleted in between: then it is inserted again.
            .or(() -> h.createQuery("select id from outbox where destination = :destination and idempotency_key = :key")
                .bind("destination", destination).bind("key", idempotencyKey).mapTo(Long.class).findOne());
        if (id.isPresent()) {
          return id.get();
        }
      }
    });
  }

  /** Whether {@code lane} towards {@code destination} holds {@code max} entries or more (counting at most that many). */
  public boolean holdsAtLeast(String destination, String lane, int max) {
    return db.withHandle(h -> h.createQuery("""
            select count(*) from (select 1 from outbox where destination = :destination and lane = :lane limit :max) t""")
        .bind("destination", destination).bind("lane", lane).bind("max", max).mapTo(Integer.class).one() >= max);
  }

  // --- sending ---

  /**
   * The lanes whose head is due at {@code now}, whose destination is not backed off and that no
   * process holds a lease on; the longest waiting first. The lanes are found by skipping from one to
   * the next along the index (a few reads per lane, not per entry), as a peer that is down for hours
   * leaves a long outbox behind.
   */
  public List<Lane> readyLanes(Instant now) {
    return db.withHandle(h -> h.createQuery("""
            with recursive lanes(destination, lane) as (
              (select destination, lane from outbox order by destination, lane limit 1)
              union all
              select next.destination, next.lane from lanes, lateral (
                select destination, lane from outbox o where (o.destination, o.lane) > (lanes.destination, lanes.lane)
                order by destination, lane limit 1) next),
            head as (
              select lanes.destination, lanes.lane, first.next_attempt_at from lanes, lateral (
                select next_attempt_at from outbox o where o.destination = lanes.destination and o.lane = lanes.lane
                order by id limit 1) first)
            select head.destination, head.lane from head
            where head.next_attempt_at <= :now
              and not exists (select 1 from peers p where p.domain = head.destination and p.next_attempt_at > :now)
              and not exists (select 1 from outbox_leases l
                              where l.destination = head.destination and l.lane = head.lane and l.until > :now)
            order by head.next_attempt_at""")
        .bind("now", now)
        .map((rs, ctx) -> new Lane(rs.getString("destination"), rs.getString("lane")))
        .list());
  }

  /**
   * Leases {@code lane} to {@code owner} until {@code until}: whether it did. A lease another owner
   * holds past {@code now} is left alone; an expired one is taken over, whoever held it.
   */
  public boolean lease(Lane lane, String owner, Instant now, Instant until) {
    return db.withHandle(h -> h.createUpdate("""
            insert into outbox_leases (destination, lane, owner, until) values (:destination, :lane, :owner, :until)
            on conflict (destination, lane) do update set owner = excluded.owner, until = excluded.until
            where outbox_leases.until <= :now""")
        .bind("destination", lane.destination()).bind("lane", lane.name()).bind("owner", owner)
        .bind("now", now).bind("until", until)
        .execute() == 1);
  }

  /** Extends {@code owner}'s lease of {@code lane} to {@code until}: false if it no longer holds it. */
  public boolean renew(Lane lane, String owner, Instant until) {
    return db.withHandle(h -> h.createUpdate("""
            update outbox_leases set until = :until
            where destination = :destination and lane = :lane and owner = :owner""")
        .bind("destination", lane.destination()).bind("lane", lane.name()).bind("owner", owner).bind("until", until)
        .execute() == 1);
  }

  /** Gives up {@code owner}'s lease of {@code lane}, if it still holds it. */
  public void release(Lane lane, String owner) {
    db.useHandle(h -> h.createUpdate("delete from outbox_leases where destination = :destination and lane = :lane and owner = :owner")
        .bind("destination", lane.destination()).bind("lane", lane.name()).bind("owner", owner).execute());
  }

  /** Forgets leases that expired before {@code before} (their holders died); how many. */
  public int deleteLeasesExpiredBefore(Instant before) {
    return db.withHandle(h -> h.createUpdate("delete from outbox_leases where until < :before")
        .bind("before", before).execute());
  }

  /**
   * The batch to send next from {@code lane}: its first entries in order, at most
   * {@link #BATCH_ENTRIES} and {@link #BATCH_BYTES} of deliveries (the head always, whatever its
   * size); none when the head is not due at {@code now} or the destination is backed off.
   */
  public List<Entry> batch(Lane lane, Instant now) {
    return db.withHandle(h -> h.createQuery("""
            select id, idempotency_key, delivery, attempts from (
              select id, idempotency_key, delivery, attempts, next_attempt_at,
                     sum(octet_length(delivery)) over (order by id) as bytes_so_far,
                     row_number() over (order by id) as position
              from outbox where destination = :destination and lane = :lane
              order by id limit :entries) first
            where (bytes_so_far <= :bytes or position = 1)
              and (select next_attempt_at from outbox where destination = :destination and lane = :lane
                   order by id limit 1) <= :now
              and not exists (select 1 from peers where domain = :destination and next_attempt_at > :now)
            order by id""")
        .bind("destination", lane.destination()).bind("lane", lane.name()).bind("now", now)
        .bind("entries", BATCH_ENTRIES).bind("bytes", BATCH_BYTES)
        .map((rs, ctx) -> new Entry(rs.getLong("id"), rs.getString("idempotency_key"),
            parse(rs.getLong("id"), rs.getBytes("delivery")), rs.getInt("attempts")))
        .list());
  }

  private static Delivery parse(long id, byte[] bytes) {
    try {
      return Delivery.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("outbox entry " + id + " does not hold a Delivery", e);
    }
  }

  /**
   * Applies a batch's results at {@code now}, in one transaction: deletes the delivered entries,
   * moves the rejected ones to outbox_rejected with their error, and schedules the retry of the
   * head. Safe to apply twice (a lane taken over after an expired lease).
   */
  public void settle(Settlement settlement, Instant now) {
    db.useTransaction(h -> {
      if (!settlement.delivered().isEmpty()) {
        h.createUpdate("delete from outbox where id = any(:ids)")
            .bindArray("ids", Long.class, settlement.delivered()).execute();
      }
      if (!settlement.rejected().isEmpty()) {
        h.createUpdate("""
                with t(id, error) as (select * from unnest(:ids, :errors)),
                moved as (delete from outbox o using t where o.id = t.id
                          returning o.id, o.destination, o.lane, o.idempotency_key, o.delivery, o.enqueued_at, t.error)
                insert into outbox_rejected (id, destination, lane, idempotency_key, delivery, enqueued_at, rejected_at, error)
                select id, destination, lane, idempotency_key, delivery, enqueued_at, :now, error from moved
                on conflict (id) do nothing""")
            .bindArray("ids", Long.class, settlement.rejected().stream().map(Rejection::id).toList())
            .bindArray("errors", String.class, settlement.rejected().stream().map(Rejection::error).toList())
            .bind("now", now).execute();
      }
      settlement.retry().ifPresent(retry -> h.createUpdate("""
              update outbox set attempts = attempts + 1, last_error = :error, next_attempt_at = :next where id = :id""")
          .bind("id", retry.id()).bind("error", retry.error()).bind("next", retry.nextAttemptAt()).execute());
    });
  }

  // --- peers ---

  /** A call to {@code domain} succeeded at {@code now}: no backoff, no failures, no error since. */
  public void recordSuccess(String domain, Instant now) {
    db.useHandle(h -> h.createUpdate("""
            insert into peers (domain, last_success_at) values (:domain, :now)
            on conflict (domain) do update set consecutive_failures = 0, next_attempt_at = null,
              last_success_at = excluded.last_success_at, last_error = null, last_error_at = null""")
        .bind("domain", domain).bind("now", now).execute());
  }

  /**
   * A batch to {@code domain} failed as a whole at {@code now} with {@code error}: the error is
   * recorded, and unless the destination is backed off already (lanes sent in parallel fail
   * together, and count as one failure) its failures grow by one and it is backed off by
   * {@code backoff}. Locks the peer's row. When the destination is next tried.
   */
  public Instant recordFailure(String domain, String error, Instant now, Backoff backoff) {
    return db.inTransaction(h -> {
      Optional<Integer> failures = h.createQuery("""
              insert into peers (domain, consecutive_failures, last_error, last_error_at) values (:domain, 1, :error, :now)
              on conflict (domain) do update set consecutive_failures = peers.consecutive_failures + 1,
                last_error = excluded.last_error, last_error_at = excluded.last_error_at
              where peers.next_attempt_at is null or peers.next_attempt_at <= :now
              returning consecutive_failures""")
          .bind("domain", domain).bind("error", error).bind("now", now).mapTo(Integer.class).findOne();
      if (failures.isEmpty()) {
        return h.createQuery("""
                update peers set last_error = :error, last_error_at = :now where domain = :domain returning next_attempt_at""")
            .bind("domain", domain).bind("error", error).bind("now", now)
            .map((rs, ctx) -> instant(rs, "next_attempt_at")).one();
      }
      Instant next = now.plus(backoff.delay(failures.get()));
      h.createUpdate("update peers set next_attempt_at = :next where domain = :domain")
          .bind("domain", domain).bind("next", next).execute();
      return next;
    });
  }

  /**
   * Forgets the backoff towards {@code domain}: no failures, and every entry waiting for it due at
   * {@code now}, its own retries forgotten too. How many entries wait for it.
   */
  public long resetBackoff(String domain, Instant now) {
    return db.inTransaction(h -> {
      h.createUpdate("update peers set consecutive_failures = 0, next_attempt_at = null where domain = :domain")
          .bind("domain", domain).execute();
      h.createUpdate("""
              update outbox set next_attempt_at = :now, attempts = 0
              where destination = :destination and next_attempt_at > :now""")
          .bind("destination", domain).bind("now", now).execute();
      return h.createQuery("select count(*) from outbox where destination = :destination")
          .bind("destination", domain).mapTo(Long.class).one();
    });
  }

  /** Whether the outbox waits out a backoff towards {@code domain} after failed calls. */
  public boolean backingOff(String domain) {
    return db.withHandle(h -> h.createQuery("""
            select exists (select 1 from peers where domain = :domain
                           and (consecutive_failures > 0 or next_attempt_at is not null))""")
        .bind("domain", domain).mapTo(Boolean.class).one());
  }

  // --- status ---

  /**
   * The destinations the outbox knows of (a peers row, waiting or rejected entries), in domain
   * order, after {@code after} (empty: from the first), at most {@code limit}.
   */
  public List<String> destinations(String after, int limit) {
    return db.withHandle(h -> h.createQuery("""
            select domain from (
              select domain from peers
              union select distinct destination from outbox
              union select distinct destination from outbox_rejected) d
            where domain > :after order by domain limit :limit""")
        .bind("after", after).bind("limit", limit).mapTo(String.class).list());
  }

  /**
   * The status of each of {@code domains}, in the order given; a domain the outbox knows nothing of
   * has an empty one. The next attempt is the later of the destination's backoff and its earliest
   * lane head's retry, and unset when nothing waits.
   */
  public Map<String, DestinationStatus> status(Collection<String> domains) {
    Map<String, DestinationStatus> statuses = new LinkedHashMap<>();
    db.useHandle(h -> h.createQuery("""
            with d(domain) as (select distinct unnest(:domains)),
            waiting as (
              select destination, count(*) as depth, min(enqueued_at) as oldest from outbox
              where destination = any(:domains) group by destination),
            heads as (
              select destination, min(next_attempt_at) as earliest from (
                select distinct on (destination, lane) destination, next_attempt_at from outbox
                where destination = any(:domains) order by destination, lane, id) h
              group by destination),
            rejected as (
              select destination, count(*) as rejected from outbox_rejected
              where destination = any(:domains) group by destination)
            select d.domain, coalesce(waiting.depth, 0) as depth, waiting.oldest, p.last_error, p.last_error_at,
                   p.last_success_at, coalesce(p.consecutive_failures, 0) as consecutive_failures,
                   case when waiting.depth is not null then greatest(p.next_attempt_at, heads.earliest) end
                     as next_attempt_at,
                   coalesce(rejected.rejected, 0) as rejected
            from d left join waiting on waiting.destination = d.domain
              left join heads on heads.destination = d.domain
              left join peers p on p.domain = d.domain
              left join rejected on rejected.destination = d.domain""")
        .bindArray("domains", String.class, List.copyOf(domains))
        .map((rs, ctx) -> new DestinationStatus(rs.getString("domain"), rs.getLong("depth"),
            Optional.ofNullable(instant(rs, "oldest")), Optional.ofNullable(rs.getString("last_error")),
            Optional.ofNullable(instant(rs, "last_error_at")), Optional.ofNullable(instant(rs, "last_success_at")),
            rs.getInt("consecutive_failures"), Optional.ofNullable(instant(rs, "next_attempt_at")),
            rs.getLong("rejected")))
        .forEach(s -> statuses.put(s.domain(), s)));
    Map<String, DestinationStatus> ordered = new LinkedHashMap<>();
    for (String domain : domains) {
      ordered.put(domain, statuses.get(domain));
    }
    return ordered;
  }

  /** How many entries wait for each destination that has any. */
  public Map<String, Long> depths() {
    Map<String, Long> depths = new LinkedHashMap<>();
    db.useHandle(h -> h.createQuery("select destination, count(*) as depth from outbox group by destination order by destination")
        .map((rs, ctx) -> Map.entry(rs.getString("destination"), rs.getLong("depth")))
        .forEach(e -> depths.put(e.getKey(), e.getValue())));
    return depths;
  }
}
