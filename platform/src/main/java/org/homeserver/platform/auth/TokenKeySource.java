package org.homeserver.platform.auth;

import java.util.Optional;

/** Finds the Ed25519 public key that signed a token, by its key id. */
public interface TokenKeySource {
  Optional<byte[]> publicKey(String keyId);
}
