package org.homeserver.keypackage;

import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import com.google.protobuf.ByteString;
import org.homeserver.api.keypackage.v1.PeerClaim;
import org.homeserver.platform.db.IdempotencyRecords;
import org.homeserver.platform.db.SqlArrays;
import org.jdbi.v3.core.Handle;
import org.homeserver.platform.db.Transactions;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * Persistence of the KeyPackage store; all of its SQL lives here. The lock order the schema's
 * header states is kept by the callers ({@link Publishes}, {@link Claims}); each method says which
 * locks it takes.
 */
public final class KeyPackageStore {
  private final Transactions db;

  public KeyPackageStore(Transactions db) {
    this.db = db;
  }

  /** A client's stock of one suite: KeyPackages other than the last-resort one, and whether that one is there. */
  public record Stock(int cipherSuite, int count, boolean hasLastResort) {}

  /**
   * The KeyPackage a claim would hand out for one client: its first non-last-resort one, else its
   * last-resort one; with how many of the suite the client has in all and how many are not last-resort.
   */
  public record Candidate(String clientId, long id, byte[] keyPackage, boolean lastResort, int total, int deletable) {}

  /** Runs {@code work} in one transaction (READ COMMITTED; the client row locks do the ordering). */
  public <T> T inTransaction(Function<Handle, T> work) {
    return db.inTransaction(work::apply);
  }

  /** Forgets idempotency records created before {@code before}; how many. */
  public int deleteIdempotencyRecordsBefore(Instant before) {
    return IdempotencyRecords.deleteBefore(db, before);
  }

  // --- publish ---

  /** Starts a publish by {@code clientId}: locks its client row (creating it) and returns the new generation. */
  public long beginPublish(Handle h, String clientId) {
    return h.createQuery("""
            insert into key_package_clients (client_id, generation) values (:client, 1)
            on conflict (client_id) do update set generation = key_package_clients.generation + 1
            returning generation""")
        .bind("client", clientId).mapTo(Long.class).one();
  }

  /** Replaces every KeyPackage of the client, and forgets its KeyPackagesLow notices. Needs the client row lock. */
  public void replace(Handle h, String clientId, List<PublishedKeyPackage> batch, Instant now) {
    h.createUpdate("delete from key_packages where client_id = :client").bind("client", clientId).execute();
    h.createUpdate("delete from low_stock_notices where client_id = :client").bind("client", clientId).execute();
    PreparedBatch insert = h.prepareBatch("""
        insert into key_packages (client_id, cipher_suite, last_resort, key_package, published_at)
        values (:client, :suite, :lastResort, :bytes, :now)""");
    for (PublishedKeyPackage keyPackage : batch) {
      insert.bind("client", clientId).bind("suite", keyPackage.cipherSuite()).bind("lastResort", keyPackage.lastResort())
          .bind("bytes", keyPackage.bytes()).bind("now", now).add();
    }
    insert.execute();
  }

  /** The client's stock per suite, in suite order; {@code suite} 0 means every suite. */
  public List<Stock> stock(Handle h, String clientId, int suite) {
    return h.createQuery("""
            select cipher_suite, count(*) filter (where not last_resort) as count, bool_or(last_resort) as has_last_resort
            from key_packages where client_id = :client and (:suite = 0 or cipher_suite = :suite)
            group by cipher_suite order by cipher_suite""")
        .bind("client", clientId).bind("suite", suite)
        .map((rs, ctx) -> new Stock(rs.getInt("cipher_suite"), rs.getInt("count"), rs.getBoolean("has_last_resort")))
        .list();
  }

  /** {@link #stock(Handle, String, int)} in a transaction of its own. */
  public List<Stock> stock(String clientId, int suite) {
    return db.withHandle(h -> stock(h, clientId, suite));
  }

  // --- claim ---

  /**
   * Locks the client rows of those of {@code clientIds} that have published, in client id order, and
   * returns their generations.
   */
  public Map<String, Long> lockClients(Handle h, Collection<String> clientIds) {
    Map<String, Long> generations = new LinkedHashMap<>();
    h.createQuery("""
            select client_id, generation from key_package_clients
            where client_id = any(:clients) order by client_id for update""")
        .bind("clients", clientIds.toArray(String[]::new))
        .map((rs, ctx) -> Map.entry(rs.getString("client_id"), rs.getLong("generation")))
        .forEach(e -> generations.put(e.getKey(), e.getValue()));
    return generations;
  }

  /** The candidate of each client that has a KeyPackage of {@code suite}. Needs the clients' row locks. */
  public List<Candidate> candidates(Handle h, Collection<String> clientIds, int suite) {
    return h.createQuery("""
            select distinct on (client_id) client_id, id, key_package, last_resort,
                   count(*) over (partition by client_id) as total,
                   count(*) filter (where not last_resort) over (partition by client_id) as deletable
            from key_packages where client_id = any(:clients) and cipher_suite = :suite
            order by client_id, last_resort, id""")
        .bind("clients", clientIds.toArray(String[]::new)).bind("suite", suite)
        .map((rs, ctx) -> new Candidate(rs.getString("client_id"), rs.getLong("id"), rs.getBytes("key_package"),
            rs.getBoolean("last_resort"), rs.getInt("total"), rs.getInt("deletable")))
        .list();
  }

  /** Deletes handed-out KeyPackages. Needs their clients' row locks. */
  public void delete(Handle h, List<Long> ids) {
    if (!ids.isEmpty()) {
      h.createUpdate("delete from key_packages where id = any(:ids)").bind("ids", ids.toArray(Long[]::new)).execute();
    }
  }

  /**
   * Records that the client is told its stock of {@code suite} is low, unless it was since its last
   * publish; whether this call recorded it. Needs the client's row lock.
   */
  public boolean recordLowStock(Handle h, String clientId, int suite, long generation) {
    return h.createUpdate("""
            insert into low_stock_notices (client_id, cipher_suite, generation) values (:client, :suite, :generation)
            on conflict (client_id, cipher_suite) do nothing""")
        .bind("client", clientId).bind("suite", suite).bind("generation", generation).execute() == 1;
  }

  /** Forgets a notice whose event could not be sent, so the next claim tries again (unless a publish came first). */
  public void forgetLowStock(String clientId, int suite, long generation) {
    db.useHandle(h -> h.createUpdate("""
            delete from low_stock_notices
            where client_id = :client and cipher_suite = :suite and generation = :generation""")
        .bind("client", clientId).bind("suite", suite).bind("generation", generation).execute());
  }

  /** Records that {@code domain} was handed these KeyPackages (ref and client), in the claim's transaction. */
  public void recordPeerClaims(Handle h, String domain, List<byte[]> refs, List<String> clientIds, Instant now) {
    h.createUpdate("""
            insert into peer_claims (domain, key_package_ref, client_id, claimed_at)
            select :domain, r, c, :now from unnest(:refs, :clients) as t(r, c)""")
        .bind("domain", domain).bind("refs", SqlArrays.bytea(refs))
        .bindArray("clients", String.class, clientIds).bind("now", now).execute();
  }

  /** Of {@code refs}, those {@code domain} claimed, each with its client, each once. */
  public List<PeerClaim> peerClaims(String domain, List<byte[]> refs) {
    return db.withHandle(h -> h.createQuery("""
            select distinct key_package_ref, client_id from peer_claims
            where domain = :domain and key_package_ref = any(:refs)""")
        .bind("domain", domain).bind("refs", SqlArrays.bytea(refs))
        .map((rs, ctx) -> PeerClaim.newBuilder().setKeyPackageRef(ByteString.copyFrom(rs.getBytes("key_package_ref")))
            .setClientId(rs.getString("client_id")).build())
        .list());
  }

  // --- purge ---

  /** Deletes everything of the clients whose ids start with {@code prefix} (one client's id, or a user's prefix). */
  public void purge(String prefix) {
    String pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    db.useTransaction(h -> {
      // The client rows first, as every transaction locks them before the KeyPackages.
      h.createUpdate("""
              delete from key_package_clients where client_id in (
                select client_id from key_package_clients where client_id like :pattern order by client_id for update)""")
          .bind("pattern", pattern).execute();
      for (String table : List.of("key_packages", "low_stock_notices", "peer_claims")) {
        h.createUpdate("delete from " + table + " where client_id like :pattern").bind("pattern", pattern).execute();
      }
    });
  }
}
