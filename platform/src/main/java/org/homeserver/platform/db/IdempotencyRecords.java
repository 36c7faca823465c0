package org.homeserver.platform.db;

import java.time.Instant;
import java.util.Optional;
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
