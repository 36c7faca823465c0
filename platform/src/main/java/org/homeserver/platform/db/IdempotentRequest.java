package org.homeserver.platform.db;

import com.google.protobuf.Message;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.platform.errors.Refusal;
import org.jdbi.v3.core.Handle;

/**
 * The idempotency key a client sent a request under (common.proto), with a digest of the request
 * so a retry can be told from another request reusing the key. Keys are per sender client, shared
 * by every operation that takes one, so the digest covers the operation as well as its fields: the
 * same key on another RPC is refused too. Its answers live in {@link IdempotencyRecords}.
 */
public record IdempotentRequest(UUID sender, String key, byte[] requestDigest) {
  /** A retry within this window gets the first answer (common.proto). */
  public static final Duration WINDOW = Duration.ofHours(24);
  /** A peer's retry within this window gets the first answer (federation.proto IDEMPOTENCY). */
  public static final Duration PEER_WINDOW = Duration.ofDays(7);
  /** A key as the request rules admitted it (rules.proto {@code idempotency_key}). */
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

  /**
   * The sender that the requests of another homeserver's domain are recorded under: a peer's keys
   * are unique per calling domain (federation.proto IDEMPOTENCY), so they share one scope.
   */
  public static UUID peer(String domain) {
    return UUID.nameUUIDFromBytes(("peer:" + domain).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * An idempotency key derived from {@code parts}: {@code prefix} and base64url of their SHA-256, so
   * the same parts (a client's key, the change it names) give the same key on every retry. The
   * digest takes 43 characters, so within the idempotency key rule (16 to 64 of A-Z a-z 0-9 - _) the
   * prefix is at most 21 of those characters.
   */
  public static String derivedKey(String prefix, String... parts) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      for (String part : parts) {
        sha256.update(part.getBytes(StandardCharsets.UTF_8));
        sha256.update((byte) 0);
      }
      return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(sha256.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing", e);
    }
  }

  /** {@code request} sent by {@code sender} under {@code key}, its digest covering the message type. */
  public static IdempotentRequest of(UUID sender, String key, Message request) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update(request.getDescriptorForType().getFullName().getBytes(StandardCharsets.UTF_8));
      sha256.update((byte) 0);
      return new IdempotentRequest(sender, key, sha256.digest(request.toByteArray()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing", e);
    }
  }

  /** As {@link #of}, or none when the optional key was left empty. */
  public static Optional<IdempotentRequest> ifKeyed(UUID sender, String key, Message request) {
    return key.isEmpty() ? Optional.empty() : Optional.of(of(sender, key, request));
  }

  /**
   * Claims the key for this request in the caller's transaction: the first answer if the key was
   * used for this request within {@link #WINDOW}, empty once the key is this request's (then keep
   * the answer with {@link #recordAnswer}). The key with another request is IDEMPOTENCY_KEY_REUSED.
   * Take it before any other lock of the transaction.
   */
  public Optional<byte[]> claim(Handle h, Instant now) {
    return claim(h, now, WINDOW);
  }

  /** {@link #claim(Handle, Instant)} with another window, e.g. {@link #PEER_WINDOW} for a peer's keys. */
  public Optional<byte[]> claim(Handle h, Instant now, Duration window) {
    return IdempotencyRecords.claim(h, sender, key, requestDigest, now, now.minus(window)).map(this::answerOf);
  }

  /**
   * {@link #claim} of many requests (of distinct keys) in one statement: for each, in the order
   * given, empty once the key is its own, else the earlier record, whose answer {@link #answerOf}
   * gives.
   */
  public static List<Optional<IdempotencyRecords.Record>> claimAll(Handle h, List<IdempotentRequest> requests,
      Instant now) {
    return IdempotencyRecords.claimAll(h, requests.stream().map(IdempotentRequest::recordKey).toList(),
        requests.stream().map(r -> r.requestDigest).toList(), now, now.minus(WINDOW));
  }

  /** The answer of the earlier request under this key; IDEMPOTENCY_KEY_REUSED if it was another request. */
  public byte[] answerOf(IdempotencyRecords.Record earlier) {
    if (!MessageDigest.isEqual(earlier.requestDigest(), requestDigest)) {
      throw Refusal.of(ErrorReason.IDEMPOTENCY_KEY_REUSED, "this idempotency key was used for a different request");
    }
    return earlier.answer();
  }

  /** {@link #recordAnswer} of many requests that claimed their keys, in one statement. */
  public static void recordAnswers(Handle h, List<IdempotentRequest> requests, List<byte[]> answers) {
    IdempotencyRecords.recordAnswers(h, requests.stream().map(IdempotentRequest::recordKey).toList(), answers);
  }

  /** Gives up the keys these requests claimed in this transaction, as they were refused. */
  public static void release(Handle h, List<IdempotentRequest> requests) {
    if (!requests.isEmpty()) {
      IdempotencyRecords.release(h, requests.stream().map(IdempotentRequest::recordKey).toList());
    }
  }

  /** The sender and key, which identify the request's record. */
  public IdempotencyRecords.Key recordKey() {
    return new IdempotencyRecords.Key(sender, key);
  }

  /** Keeps the answer of the request that claimed the key, in the same transaction. */
  public void recordAnswer(Handle h, byte[] answer) {
    IdempotencyRecords.recordAnswer(h, sender, key, answer);
  }
}
