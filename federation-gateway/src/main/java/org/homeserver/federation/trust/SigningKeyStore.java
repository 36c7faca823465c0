package org.homeserver.federation.trust;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import org.homeserver.platform.db.Transactions;
import org.homeserver.platform.secrets.Sealer;
import org.jdbi.v3.core.Handle;

/**
 * This homeserver's federation signing keys (table signing_keys), made when first needed: one valid
 * for a year, and a successor 30 days before it expires, published alongside it so peers know the
 * successor before it signs. The private keys are sealed at rest, each bound to its key id.
 */
public final class SigningKeyStore {
  static final Duration VALIDITY = Duration.ofDays(365);
  static final Duration RENEW_BEFORE = Duration.ofDays(30);
  /** How long the keys read are used before they are read again, to see a successor another process made. */
  static final Duration REREAD = Duration.ofMinutes(1);

  private final Transactions db;
  private final Sealer sealer;
  private volatile Loaded loaded;

  /** The keys read at {@code at}, usable until {@code until}. */
  private record Loaded(List<SigningKey> keys, Instant at, Instant until) {
    boolean fresh(Instant now) {
      return !now.isBefore(at) && now.isBefore(until);
    }
  }

  public SigningKeyStore(Transactions db, Sealer sealer) {
    this.db = db;
    this.sealer = sealer;
  }

  /**
   * The key that signs at {@code now}: of the keys valid then, the one that expires first (a
   * successor waits until its predecessor expires). Made and stored the first time, or when the
   * keys run out.
   */
  public SigningKey current(Instant now) {
    return keys(now).stream().filter(k -> k.validAt(now)).min(Comparator.comparing(SigningKey::validUntil))
        .orElseThrow(() -> new IllegalStateException("the signing keys were settled yet none is valid at " + now));
  }

  /** The keys GetFederationKeys publishes at {@code now}: every one not yet expired, oldest first. */
  public List<SigningKey> published(Instant now) {
    return keys(now).stream().filter(k -> now.isBefore(k.validUntil())).toList();
  }

  private List<SigningKey> keys(Instant now) {
    Loaded seen = loaded;
    if (seen != null && seen.fresh(now)) {
      return seen.keys();
    }
    List<SigningKey> keys = db.withHandle(h -> read(h, now));
    if (!settled(keys, now)) {
      keys = settle(now);
    }
    loaded = new Loaded(keys, now, earliest(now.plus(REREAD), renewalTime(keys)));
    return keys;
  }

  /**
   * Makes the keys {@code now} needs, under an exclusive lock on the table, so processes starting at
   * once wait for each other: the first makes them, the rest find them made.
   */
  private List<SigningKey> settle(Instant now) {
    return db.inTransaction(h -> {
      h.execute("lock table signing_keys in exclusive mode");
      List<SigningKey> keys = read(h, now);
      Instant from = now.truncatedTo(ChronoUnit.SECONDS);
      if (!settled(keys, now)) {
        // The first key, one after the keys ran out, or the successor of the newest: valid from now on.
        insert(h, SigningKey.generate(from, from.plus(VALIDITY)));
      }
      return read(h, now);
    });
  }

  /** Whether a key is valid at {@code now} and the newest one is not due for a successor. */
  private static boolean settled(List<SigningKey> keys, Instant now) {
    return keys.stream().anyMatch(k -> k.validAt(now)) && now.isBefore(renewalTime(keys));
  }

  /** When the newest key needs a successor. */
  private static Instant renewalTime(List<SigningKey> keys) {
    return keys.stream().map(SigningKey::validUntil).max(Comparator.naturalOrder()).orElse(Instant.MIN)
        .minus(RENEW_BEFORE);
  }

  private static Instant earliest(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  private void insert(Handle h, SigningKey key) {
    h.createUpdate("""
            insert into signing_keys (key_id, public_key, sealed_private_key, valid_from, valid_until)
            values (:id, :public, :sealed, :from, :until)""")
        .bind("id", key.keyId()).bind("public", key.publicKey())
        .bind("sealed", sealer.seal(key.privateKey().getEncoded(), purpose(key.keyId())))
        .bind("from", key.validFrom()).bind("until", key.validUntil()).execute();
  }

  /** The keys not expired at {@code now}, oldest first; one sealed under a previous key-encryption key is sealed again. */
  private List<SigningKey> read(Handle h, Instant now) {
    return h.createQuery("""
            select key_id, public_key, sealed_private_key, valid_from, valid_until from signing_keys
            where valid_until > :now order by valid_from, key_id""")
        .bind("now", now)
        .map((rs, ctx) -> new Row(rs.getString("key_id"), rs.getBytes("public_key"), rs.getBytes("sealed_private_key"),
            rs.getObject("valid_from", OffsetDateTime.class).toInstant(),
            rs.getObject("valid_until", OffsetDateTime.class).toInstant()))
        .list().stream().map(row -> open(h, row)).toList();
  }

  private record Row(String keyId, byte[] publicKey, byte[] sealed, Instant validFrom, Instant validUntil) {}

  private SigningKey open(Handle h, Row row) {
    Sealer.Unsealed opened = sealer.open(row.sealed(), purpose(row.keyId()));
    opened.resealed().ifPresent(sealed -> h.createUpdate(
            "update signing_keys set sealed_private_key = :sealed where key_id = :id and sealed_private_key = :stored")
        .bind("sealed", sealed).bind("id", row.keyId()).bind("stored", row.sealed()).execute());
    SigningKey key = SigningKey.restore(row.publicKey(), opened.privateKey(), row.validFrom(), row.validUntil());
    if (!key.keyId().equals(row.keyId())) {
      throw new IllegalStateException("signing key " + row.keyId() + " holds the public key of " + key.keyId());
    }
    return key;
  }

  /** What a key's sealed value is bound to: its own row. */
  static String purpose(String keyId) {
    return "federation.signing_keys/" + keyId;
  }
}
