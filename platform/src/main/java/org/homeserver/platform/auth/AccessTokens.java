package org.homeserver.platform.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.homeserver.api.auth.v1.AccessTokenClaims;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.platform.errors.Refusal;

/**
 * The access token format (documented at AccessTokenClaims in auth_internal.proto): signing, for the
 * auth service, and local verification, for every service. Revocation is checked against the
 * {@link Revocations} list, so a deleted or suspended client is refused at once.
 */
public final class AccessTokens {
  private static final String PREFIX = "hs1.";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();
  /** Tokens are short; anything longer is not one of ours. */
  private static final int MAX_TOKEN_LENGTH = 2048;

  private AccessTokens() {}

  /** Signs {@code claims} with the Ed25519 private key {@code privateKey}. */
  public static String sign(AccessTokenClaims claims, byte[] privateKey) {
    String body = PREFIX + B64.encodeToString(claims.toByteArray());
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, new Ed25519PrivateKeyParameters(privateKey, 0));
    byte[] data = body.getBytes(StandardCharsets.US_ASCII);
    signer.update(data, 0, data.length);
    return body + "." + B64.encodeToString(signer.generateSignature());
  }

  /**
   * Verifies tokens locally: signature, expiry and revocation. A token whose signature verified is
   * remembered until it expires, so a client's later calls with it skip the signature check; when
   * more are remembered than {@link #VERIFIED_CACHE}, the least used are forgotten first. Expiry and
   * revocation are checked on every call.
   */
  public static final class Verifier {
    /** Verified tokens remembered at most; a client uses one token for many calls. */
    static final int VERIFIED_CACHE = 100_000;

    private final Cache<String, AccessTokenClaims> verified;
    private final TokenKeySource keys;
    private final Revocations revocations;
    private final Clock clock;

    public Verifier(TokenKeySource keys, Revocations revocations, Clock clock) {
      this.keys = keys;
      this.revocations = revocations;
      this.clock = clock;
      this.verified = Caffeine.newBuilder()
          .maximumSize(VERIFIED_CACHE)
          // Past its expiry a token is refused whatever its signature: no use keeping it.
          .expireAfter(Expiry.creating((String token, AccessTokenClaims claims) ->
              Duration.ofMillis(Math.max(0, claims.getExpiresAtMs() - clock.millis()))))
          .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
          // Upkeep on the calling thread: no pool of its own, and tests stay deterministic.
          .executor(Runnable::run)
          .build();
    }

    /** The principal the token names; throws Refusal(TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_REVOKED). */
    public Principal verify(String token) {
      AccessTokenClaims claims = parseAndCheckSignature(token);
      Instant expiresAt = Instant.ofEpochMilli(claims.getExpiresAtMs());
      Instant issuedAt = Instant.ofEpochMilli(claims.getIssuedAtMs());
      if (!clock.instant().isBefore(expiresAt)) {
        throw Refusal.of(ErrorReason.TOKEN_EXPIRED, "the access token has expired; create a new session");
      }
      Principal principal;
      try {
        principal = new Principal(claims.getUserId(), UUID.fromString(claims.getUserUuid()), claims.getClientId(),
            UUID.fromString(claims.getClientUuid()), claims.getTokenId(), issuedAt, expiresAt);
      } catch (IllegalArgumentException e) {
        throw invalid();
      }
      if (principal.revokedIn(revocations)) {
        throw Refusal.of(ErrorReason.TOKEN_REVOKED,
            "the access token was revoked (the client or user was deleted or suspended)");
      }
      return principal;
    }

    private AccessTokenClaims parseAndCheckSignature(String token) {
      // A token that fails throws here, and nothing is remembered of it.
      return verified.get(token, this::parseAndVerifySignature);
    }

    private AccessTokenClaims parseAndVerifySignature(String token) {
      if (token.length() > MAX_TOKEN_LENGTH || !token.startsWith(PREFIX)) {
        throw invalid();
      }
      int dot = token.indexOf('.', PREFIX.length());
      if (dot < 0) {
        throw invalid();
      }
      try {
        byte[] claimBytes = B64D.decode(token.substring(PREFIX.length(), dot));
        byte[] signature = B64D.decode(token.substring(dot + 1));
        AccessTokenClaims claims = AccessTokenClaims.parseFrom(claimBytes);
        Optional<byte[]> key = keys.publicKey(claims.getKeyId());
        if (key.isEmpty() || key.get().length != Ed25519PublicKeyParameters.KEY_SIZE
            || signature.length != Ed25519PublicKeyParameters.KEY_SIZE * 2) {
          throw invalid();
        }
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, new Ed25519PublicKeyParameters(key.get(), 0));
        byte[] signed = token.substring(0, dot).getBytes(StandardCharsets.US_ASCII);
        verifier.update(signed, 0, signed.length);
        if (!verifier.verifySignature(signature)) {
          throw invalid();
        }
        return claims;
      } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
        throw invalid();
      }
    }

    private static Refusal invalid() {
      return Refusal.of(ErrorReason.TOKEN_INVALID, "the access token is not valid");
    }
  }
}
