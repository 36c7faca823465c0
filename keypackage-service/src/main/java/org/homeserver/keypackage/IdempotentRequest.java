package org.homeserver.keypackage;

import com.google.protobuf.Message;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.platform.db.IdempotencyRecords;
import org.homeserver.platform.grpc.ApiException;
import org.jdbi.v3.core.Handle;

/**
 * A request sent under an idempotency key (common.proto): the sending client, the key, and a
 * digest of the operation and the request, so a retry can be told from another request reusing
 * the key (on this or another RPC).
 */
record IdempotentRequest(UUID sender, String key, byte[] digest) {
  /** A retry within this window returns the first answer (common.proto). */
  static final Duration WINDOW = Duration.ofHours(24);
  /** The syntax of common.proto: 16 to 64 characters of A-Z a-z 0-9 - _. */
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-]{16,64}");

  /** The request under {@code key}, or none if the key is empty; INVALID_ARGUMENT if it breaks the syntax. */
  static Optional<IdempotentRequest> of(UUID sender, String key, String operation, Message request) {
    if (key.isEmpty()) {
      return Optional.empty();
    }
    if (!KEY.matcher(key).matches()) {
      throw ApiException.invalidField("idempotency_key",
          "an idempotency key is 16 to 64 characters of A-Z a-z 0-9 - _ (a random UUID is ideal)");
    }
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update(operation.getBytes(StandardCharsets.UTF_8));
      sha256.update((byte) 0);
      return Optional.of(new IdempotentRequest(sender, key, sha256.digest(request.toByteArray())));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Takes the key for this request in the caller's transaction: the first answer if the key was
   * used for this request within {@link #WINDOW}, empty once the key is this request's (record the
   * answer with {@link #recordAnswer}). The key with another request is IDEMPOTENCY_KEY_REUSED.
   */
  Optional<byte[]> claim(Handle h, Instant now) {
    return IdempotencyRecords.claim(h, sender, key, digest, now, now.minus(WINDOW)).map(earlier -> {
      if (!MessageDigest.isEqual(earlier.requestDigest(), digest)) {
        throw new ApiException(ErrorReason.IDEMPOTENCY_KEY_REUSED, "this idempotency key was used for a different request");
      }
      return earlier.answer();
    });
  }

  /** Keeps the answer of the request that claimed the key, in the same transaction. */
  void recordAnswer(Handle h, Message answer) {
    IdempotencyRecords.recordAnswer(h, sender, key, answer.toByteArray());
  }
}
