package org.homeserver.delivery;

import java.util.Objects;
import java.util.UUID;

/**
 * The idempotency key a client sent a request under (common.proto), with a digest of the request
 * so a retry can be told from another request reusing the key. Keys are per sender client, shared
 * by every operation that takes one, so the digest should cover the operation as well as its
 * fields: the same key on another RPC is then refused too. The key's syntax is checked at the edge.
 */
public record IdempotentRequest(UUID sender, String key, byte[] requestDigest) {
  public IdempotentRequest {
    Objects.requireNonNull(sender, "sender");
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("an idempotency key is required");
    }
    if (requestDigest == null || requestDigest.length == 0) {
      throw new IllegalArgumentException("a request digest is required");
    }
    requestDigest = requestDigest.clone();
  }

  @Override
  public byte[] requestDigest() {
    return requestDigest.clone();
  }
}
