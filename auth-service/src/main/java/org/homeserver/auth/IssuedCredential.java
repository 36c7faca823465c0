package org.homeserver.auth;

import java.time.Instant;
import java.util.List;

/**
 * A client's MLS x509 credential: DER certificates, the client's first and then the AS intermediate,
 * in the order they go in the Credential's {@code certificates} vector; and when the client's expires.
 */
public record IssuedCredential(List<byte[]> chain, Instant notAfter) {
  public IssuedCredential {
    chain = List.copyOf(chain);
  }
}
