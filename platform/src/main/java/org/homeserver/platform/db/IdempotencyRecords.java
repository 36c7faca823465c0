package org.homeserver.platform.db;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * The first answers given under idempotency keys (common.proto), in the table
 * {@code idempotency_records} of the calling service's schema (sender_client uuid, idempotency_key
 * text, request_digest bytea, answer bytea, created_at timestamptz; primary key sender and key).
 */
public final class IdempotencyRecords {
  private IdempotencyRecords() {}

  /** The first answer given under a key, with the digest of the request that got it. */
  public record Record(byte[] requestDigest, byte[] answer) {}

  /**
   * Claims {@code key} for this request: empty if it is now ours (a new key, or one whose record
   * was created at or before {@code expiredAt}); else the live record of the earlier request. A
   * concurrent claim of the same key waits here until the first transaction ends, then sees its
   * record, so two racing retries never both act. Locks the key's record.
   */
  public static Optional<Record> claim(Handle h, UUID sender, String key, byte[] digest, Instant now,
      Instant expiredAt) {
    boolean claimed = h.createQuery("""
            insert into idempotency_records (sender_client, idempotency_key, request_digest, answer, created_at)
            values (:sender, :key, :digest, null, :now)
            on conflict (sender_client, idempotency_key) do update
              set request_digest = excluded.request_digest, answer = null, created_at = excluded.created_at
              where idempotency_records.created_at <= :expiredAt
            returning 1""")
        .bind("sender", sender).bind("key", key).bind("digest", digest).bind("now", now)
        .bind("expiredAt", expiredAt)
        .mapTo(Integer.class).findOne().isPresent();
    if (claimed) {
      return Optional.empty();
    }
    return Optional.of(h.createQuery("""
            select request_digest, answer from idempotency_records
            where sender_client = :sender and idempotency_key = :key""")
        .bind("sender", sender).bind("key", key)
        .map((rs, ctx) -> new Record(rs.getBytes("request_digest"), rs.getBytes("answer")))
        .one());
  }

  /** A sender's key. */
  public record Key(UUID sender, String key) {}

  /**
   * {@link #claim} of many keys in one statement, locking their records in key order: for each
   * key, in the order given, empty if it is now the caller's, else the live record of the earlier
   * request. The keys must be distinct.
   */
  public static List<Optional<Record>> claimAll(Handle h, List<Key> keys, List<byte[]> digests, Instant now,
      Instant expiredAt) {
    Set<Key> claimed = new HashSet<>(h.createQuery("""
            insert into idempotency_records (sender_client, idempotency_key, request_digest, answer, created_at)
            select s, k, d, null, :now from unnest(:senders, :keys, :digests) as t(s, k, d) order by s, k
            on conflict (sender_client, idempotency_key) do update
              set request_digest = excluded.request_digest, answer = null, created_at = excluded.created_at
              where idempotency_records.created_at <= :expiredAt
            returning sender_client, idempotency_key""")
        .bindArray("senders", UUID.class, keys.stream().map(Key::sender).toList())
        .bindArray("keys", String.class, keys.stream().map(Key::key).toList())
        .bind("digests", SqlArrays.bytea(digests)).bind("now", now).bind("expiredAt", expiredAt)
        .map((rs, ctx) -> new Key(rs.getObject("sender_client", UUID.class), rs.getString("idempotency_key")))
        .list());
    List<Key> earlier = keys.stream().filter(k -> !claimed.contains(k)).toList();
    Map<Key, Record> records = new HashMap<>();
    if (!earlier.isEmpty()) {
      h.createQuery("""
              select sender_client, idempotency_key, request_digest, answer from idempotency_records
              join unnest(:senders, :keys) as t(s, k) on sender_client = t.s and idempotency_key = t.k""")
          .bindArray("senders", UUID.class, earlier.stream().map(Key::sender).toList())
          .bindArray("keys", String.class, earlier.stream().map(Key::key).toList())
          .map((rs, ctx) -> Map.entry(new Key(rs.getObject("sender_client", UUID.class), rs.getString("idempotency_key")),
              new Record(rs.getBytes("request_digest"), rs.getBytes("answer"))))
          .forEach(e -> records.put(e.getKey(), e.getValue()));
    }
    List<Optional<Record>> answers = new ArrayList<>();
    for (Key key : keys) {
      answers.add(claimed.contains(key) ? Optional.empty() : Optional.of(records.get(key)));
    }
    return answers;
  }

  /** {@link #recordAnswer} of many keys in one statement. */
  public static void recordAnswers(Handle h, List<Key> keys, List<byte[]> answers) {
    h.createUpdate("""
            update idempotency_records r set answer = t.a
            from unnest(:senders, :keys, :answers) as t(s, k, a)
            where r.sender_client = t.s and r.idempotency_key = t.k""")
        .bindArray("senders", UUID.class, keys.stream().map(Key::sender).toList())
        .bindArray("keys", String.class, keys.stream().map(Key::key).toList())
        .bind("answers", SqlArrays.bytea(answers)).execute();
  }

  /** Gives up keys claimed in this transaction for requests that were then refused. */
  public static void release(Handle h, List<Key> keys) {
    h.createUpdate("""
            delete from idempotency_records r using unnest(:senders, :keys) as t(s, k)
            where r.sender_client = t.s and r.idempotency_key = t.k""")
        .bindArray("senders", UUID.class, keys.stream().map(Key::sender).toList())
        .bindArray("keys", String.class, keys.stream().map(Key::key).toList()).execute();
  }

  /** Keeps the answer of the request that claimed {@code key}, in the same transaction. */
  public static void recordAnswer(Handle h, UUID sender, String key, byte[] answer) {
    h.createUpdate("update idempotency_records set answer = :answer where sender_client = :sender and idempotency_key = :key")
        .bind("answer", answer).bind("sender", sender).bind("key", key).execute();
  }

  /** Forgets records created before {@code before}; how many. */
  public static int deleteBefore(Transactions db, Instant before) {
    return db.withHandle(h -> h.createUpdate("delete from idempotency_records where created_at < :before")
        .bind("before", before).execute());
  }
}
