package org.homeserver.delivery;

import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;
import org.homeserver.platform.grpc.ApiException;

/**
 * The idempotency key a client sent a request under (common.proto), with a digest of the request
 * so a retry can be told from another request reusing the key. Keys are per sender client, shared
 * by every operation that takes one, so the digest should cover the operation as well as its
 * fields: the same key on another RPC is then refused too.
 */
public record IdempotentRequest(UUID sender, String key, byte[] requestDigest) {
  /** The syntax of common.proto: 16 to 64 characters of A-Z a-z 0-9 - _. */
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-]{16,64}");

  /** INVALID_ARGUMENT naming {@code idempotency_key} if {@code key} breaks common.proto's syntax. */
  public IdempotentRequest {
    Objects.requireNonNull(sender, "sender");
    if (key == null || !KEY.matcher(key).matches()) {
      throw ApiException.invalidField("idempotency_key",
          "an idempotency key is 16 to 64 characters of A-Z a-z 0-9 - _ (a random UUID is ideal)");
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
