package org.homeserver.federation.trust;

import java.time.Instant;
import org.homeserver.platform.db.Transactions;

/**
 * The request ids of signed calls seen from each origin (table seen_requests), kept past the
 * signature's time window, so a replayed call is refused (FEDERATION_REPLAYED).
 */
public final class SeenRequests {
  private final Transactions db;

  public SeenRequests(Transactions db) {
    this.db = db;
  }

  /**
   * Records {@code requestId} from {@code origin} until {@code expiresAt}; false if it was recorded
   * already (a replay). Safe to run twice: a retried insert that had taken effect answers false,
   * which refuses a call once too often rather than accept a replay.
   */
  public boolean firstSight(String origin, String requestId, Instant expiresAt) {
    return db.withHandle(h -> h.createUpdate("""
            insert into seen_requests (origin, request_id, expires_at) values (:origin, :id, :expires)
            on conflict (origin, request_id) do nothing""")
        .bind("origin", origin).bind("id", requestId).bind("expires", expiresAt).execute()) == 1;
  }

  /** Forgets the request ids that expired by {@code now}; returns how many. */
  public int deleteExpired(Instant now) {
    return db.withHandle(h -> h.createUpdate("delete from seen_requests where expires_at <= :now")
        .bind("now", now).execute());
  }
}
