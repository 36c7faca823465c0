package org.homeserver.auth;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.homeserver.platform.secrets.Sealer;
import org.jdbi.v3.core.Handle;
import org.homeserver.platform.db.Transactions;

/**
 * Persistence of the auth service's own private keys, the CAs' and the token-signing keys, sealed
 * under the key-encryption key. A key found in plaintext (stored by an earlier version) or under a
 * previous key-encryption key is sealed again under the current one as it is read.
 */
public final class PrivateKeyStore {
  private static final String ROOT = "auth.authority.root";
  private static final String INTERMEDIATE = "auth.authority.intermediate";

  private final Transactions db;
  private final Sealer sealer;

  public PrivateKeyStore(Transactions db, Sealer sealer) {
    this.db = db;
    this.sealer = sealer;
  }

  /** An Ed25519 token-signing key. */
  public record TokenKeyRow(String keyId, byte[] privateKey, byte[] publicKey, Instant createdAt) {}

  /** What a token key's sealed value is bound to: its own row. */
  private static String tokenKeyPurpose(String keyId) {
    return "auth.token_keys/" + keyId;
  }

  /**
   * The authority in force; made by {@code generate} and stored the first time. Every auth process
   * starting at once waits for the table lock, so one makes or re-seals the keys and the rest read them.
   */
  public StoredAuthority settleAuthority(Supplier<StoredAuthority> generate, Instant now) {
    return db.inTransaction(h -> {
      h.execute("lock table authority in exclusive mode");
      Optional<StoredAuthority> stored = h.createQuery("select * from authority")
          .map((rs, ctx) -> new StoredAuthority(rs.getBytes("root_certificate"), rs.getBytes("root_private_key"),
              rs.getBytes("intermediate_certificate"), rs.getBytes("intermediate_private_key")))
          .findOne();
      if (stored.isPresent()) {
        StoredAuthority row = stored.get();
        return new StoredAuthority(row.rootCertificate(),
            openAuthorityKey(h, "root_private_key", ROOT, row.rootPrivateKeyPkcs8()),
            row.intermediateCertificate(),
            openAuthorityKey(h, "intermediate_private_key", INTERMEDIATE, row.intermediatePrivateKeyPkcs8()));
      }
      StoredAuthority fresh = generate.get();
      h.createUpdate("""
              insert into authority (singleton, root_certificate, root_private_key, intermediate_certificate,
                                     intermediate_private_key, created_at)
              values (true, :rc, :rk, :ic, :ik, :now)""")
          .bind("rc", fresh.rootCertificate()).bind("rk", sealer.seal(fresh.rootPrivateKeyPkcs8(), ROOT))
          .bind("ic", fresh.intermediateCertificate())
          .bind("ik", sealer.seal(fresh.intermediatePrivateKeyPkcs8(), INTERMEDIATE))
          .bind("now", now).execute();
      return fresh;
    });
  }

  /** Stores {@code candidate} if there is no key yet, and returns every key, newest first, under the same lock. */
  public List<TokenKeyRow> settleTokenKeys(TokenKeyRow candidate) {
    return db.inTransaction(h -> {
      h.execute("lock table token_keys in exclusive mode");
      boolean none = h.createQuery("select count(*) from token_keys").mapTo(Integer.class).one() == 0;
      if (none) {
        h.createUpdate("insert into token_keys (key_id, private_key, public_key, created_at) values (:id, :priv, :pub, :at)")
            .bind("id", candidate.keyId())
            .bind("priv", sealer.seal(candidate.privateKey(), tokenKeyPurpose(candidate.keyId())))
            .bind("pub", candidate.publicKey()).bind("at", candidate.createdAt()).execute();
      }
      List<TokenKeyRow> stored = h.createQuery("select * from token_keys order by created_at desc")
          .map((rs, ctx) -> new TokenKeyRow(rs.getString("key_id"), rs.getBytes("private_key"),
              rs.getBytes("public_key"), rs.getObject("created_at", OffsetDateTime.class).toInstant()))
          .list();
      return stored.stream().map(row -> new TokenKeyRow(row.keyId(), openTokenKey(h, row), row.publicKey(),
          row.createdAt())).toList();
    });
  }

  /** The key in a column of the one authority row, sealed again there if it is not under the current key. */
  private byte[] openAuthorityKey(Handle h, String column, String purpose, byte[] stored) {
    Sealer.Unsealed key = sealer.open(stored, purpose);
    key.resealed().ifPresent(sealed -> h.createUpdate(
            "update authority set " + column + " = :sealed where " + column + " = :stored")
        .bind("sealed", sealed).bind("stored", stored).execute());
    return key.privateKey();
  }

  private byte[] openTokenKey(Handle h, TokenKeyRow row) {
    Sealer.Unsealed key = sealer.open(row.privateKey(), tokenKeyPurpose(row.keyId()));
    key.resealed().ifPresent(sealed -> h.createUpdate(
            "update token_keys set private_key = :sealed where key_id = :id and private_key = :stored")
        .bind("sealed", sealed).bind("id", row.keyId()).bind("stored", row.privateKey()).execute());
    return key.privateKey();
  }
}
