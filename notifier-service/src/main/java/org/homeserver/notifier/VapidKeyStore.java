package org.homeserver.notifier;

import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import org.homeserver.platform.secrets.Sealer;
import org.homeserver.platform.db.Transactions;

/**
 * Persistence of the notifier's VAPID private key, sealed under the key-encryption key. A key found
 * in plaintext (stored by an earlier version) or under a previous key-encryption key is sealed again
 * under the current one as it is read.
 */
public final class VapidKeyStore {
  private static final String PURPOSE = "notifier.vapid";

  private final Transactions db;
  private final Sealer sealer;

  public VapidKeyStore(Transactions db, Sealer sealer) {
    this.db = db;
    this.sealer = sealer;
  }

  /** The stored VAPID key (PKCS#8), storing the one {@code fresh} makes if there is none (the first start). */
  public byte[] settle(Supplier<byte[]> fresh, Instant now) {
    byte[] stored = db.inTransaction(h -> {
      Optional<byte[]> existing = h.createQuery("select pkcs8 from vapid_keys where id = 1").mapTo(byte[].class)
          .findOne();
      if (existing.isPresent()) {
        return existing.get();
      }
      // Two processes starting at once: the first insert wins, the other reads it back.
      h.createUpdate("insert into vapid_keys (id, pkcs8, created_at) values (1, :key, :now) on conflict do nothing")
          .bind("key", sealer.seal(fresh.get(), PURPOSE)).bind("now", now).execute();
      return h.createQuery("select pkcs8 from vapid_keys where id = 1").mapTo(byte[].class).one();
    });
    Sealer.Unsealed key = sealer.open(stored, PURPOSE);
    // Only where the value is still the one read: of processes re-sealing at once, one write stands,
    // and every one of them holds the same key.
    key.resealed().ifPresent(sealed -> db.useHandle(h -> h.createUpdate(
            "update vapid_keys set pkcs8 = :sealed where id = 1 and pkcs8 = :stored")
        .bind("sealed", sealed).bind("stored", stored).execute()));
    return key.privateKey();
  }
}
