package org.homeserver.notifier.testing;

import java.time.Instant;

/**
 * What a verified VAPID Authorization header says: who signed it, for which origin, until when.
 *
 * @param publicKey the signer's 65-byte public point (the header's k)
 */
public record VapidClaims(String audience, Instant expiry, String subject, byte[] publicKey) {
  public VapidClaims {
    publicKey = publicKey.clone();
  }

  @Override
  public byte[] publicKey() {
    return publicKey.clone();
  }
}
