package org.homeserver.auth;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.homeserver.auth.PrivateKeyStore.TokenKeyRow;

/**
 * The Ed25519 keys that sign access tokens: created once in the database and shared by every auth
 * replica; the newest signs, all of them verify (room for rotation).
 */
public final class TokenKeys {
  private final List<TokenKeyRow> keys;

  private TokenKeys(List<TokenKeyRow> keys) {
    this.keys = List.copyOf(keys);
  }

  /** Loads the keys, creating the first one if there is none. */
  public static TokenKeys settle(PrivateKeyStore store, SecureRandom random, Clock clock) {
    Ed25519PrivateKeyParameters candidate = new Ed25519PrivateKeyParameters(random);
    byte[] id = new byte[8];
    random.nextBytes(id);
    return new TokenKeys(store.settleTokenKeys(new TokenKeyRow(HexFormat.of().formatHex(id), candidate.getEncoded(),
        candidate.generatePublicKey().getEncoded(), clock.instant())));
  }

  /** The key that signs new tokens. */
  public TokenKeyRow signing() {
    return keys.getFirst();
  }

  /** Every key whose tokens verify. */
  public List<TokenKeyRow> all() {
    return keys;
  }
}
