package org.homeserver.platform.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.homeserver.api.auth.v1.AccessTokenClaims;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.signal.LocalSignals;
import org.homeserver.platform.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AccessTokensTest {
  private final Instant now = Instant.parse("2026-11-25T10:00:00Z");
  private final Clock clock = Clock.fixed(now, ZoneOffset.UTC);
  private final Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(new SecureRandom());
  private final LocalSignals signals = new LocalSignals();
  private final RevocationList revocations = new RevocationList(signals, Duration.ofMinutes(15), clock);
  private final AccessTokens.Verifier verifier = new AccessTokens.Verifier(
      id -> Optional.ofNullable(Map.of("k1", key.generatePublicKey().getEncoded()).get(id)), revocations, clock);
  private final UUID user = UUID.randomUUID();
  private final UUID client = UUID.randomUUID();

  @AfterEach
  void close() {
    revocations.close();
    signals.close();
  }

  private AccessTokenClaims.Builder claims() {
    return AccessTokenClaims.newBuilder().setKeyId("k1").setTokenId("t").setUserId("mimi://example.org/u/alice")
        .setUserUuid(user.toString()).setClientId("mimi://example.org/c/alice/" + client)
        .setClientUuid(client.toString()).setIssuedAtMs(now.minusSeconds(10).toEpochMilli())
        .setExpiresAtMs(now.plusSeconds(60).toEpochMilli());
  }

  private ErrorReason rejection(String token) {
    return assertThrows(Refusal.class, () -> verifier.verify(token)).reason();
  }

  @Test
  void validTokenNamesItsClient() {
    Principal p = verifier.verify(AccessTokens.sign(claims().build(), key.getEncoded()));
    assertEquals(client, p.clientUuid());
    assertEquals("mimi://example.org/u/alice", p.userId());
  }

  @Test
  void expiredTokenIsRefused() {
    assertEquals(ErrorReason.TOKEN_EXPIRED,
        rejection(AccessTokens.sign(claims().setExpiresAtMs(now.toEpochMilli()).build(), key.getEncoded())));
  }

  @Test
  void tokenSignedByAnotherKeyIsRefused() {
    byte[] forger = new Ed25519PrivateKeyParameters(new SecureRandom()).getEncoded();
    assertEquals(ErrorReason.TOKEN_INVALID, rejection(AccessTokens.sign(claims().build(), forger)));
  }

  @Test
  void tokenWithAlteredClaimsIsRefused() {
    String token = AccessTokens.sign(claims().build(), key.getEncoded());
    String other = AccessTokens.sign(claims().setUserId("mimi://example.org/u/mallory").build(), key.getEncoded());
    String spliced = other.substring(0, other.lastIndexOf('.')) + token.substring(token.lastIndexOf('.'));
    assertEquals(ErrorReason.TOKEN_INVALID, rejection(spliced));
  }

  @Test
  void tokenWithUnknownKeyIdIsRefused() {
    assertEquals(ErrorReason.TOKEN_INVALID, rejection(AccessTokens.sign(claims().setKeyId("k2").build(), key.getEncoded())));
  }

  @Test
  void garbageIsRefusedAsInvalid() {
    for (String garbage : new String[] {"", "hs1.", "hs1.x.y", "hs1.!!!.???", "Bearer x", "hs1." + "A".repeat(5000)}) {
      assertEquals(ErrorReason.TOKEN_INVALID, rejection(garbage), garbage);
    }
  }

  @Test
  void revokingTheClientOrTheUserRefusesTokensIssuedBefore() {
    String token = AccessTokens.sign(claims().build(), key.getEncoded());
    revocations.revoke(client.toString(), now);
    assertEquals(ErrorReason.TOKEN_REVOKED, rejection(token));

    UUID otherClient = UUID.randomUUID();
    String sibling = AccessTokens.sign(claims().setClientUuid(otherClient.toString()).build(), key.getEncoded());
    verifier.verify(sibling);
    revocations.revoke(user.toString(), now);
    assertEquals(ErrorReason.TOKEN_REVOKED, rejection(sibling));
  }

  @Test
  void aTokenVerifiedBeforeStillExpires() {
    MutableClock later = new MutableClock();
    later.advance(Duration.between(later.instant(), now));
    AccessTokens.Verifier remembering = new AccessTokens.Verifier(
        id -> Optional.of(key.generatePublicKey().getEncoded()), revocations, later);
    String token = AccessTokens.sign(claims().build(), key.getEncoded());
    remembering.verify(token);
    remembering.verify(token);
    later.advance(Duration.ofSeconds(60));
    assertEquals(ErrorReason.TOKEN_EXPIRED,
        assertThrows(Refusal.class, () -> remembering.verify(token)).reason());
  }

  @Test
  void aVerifiedTokensSignatureIsCheckedOnceUntilItExpires() {
    MutableClock later = new MutableClock();
    later.advance(Duration.between(later.instant(), now));
    AtomicInteger keyLookups = new AtomicInteger();
    AccessTokens.Verifier counting = new AccessTokens.Verifier(id -> {
      keyLookups.incrementAndGet();
      return Optional.of(key.generatePublicKey().getEncoded());
    }, revocations, later);
    String token = AccessTokens.sign(claims().build(), key.getEncoded());
    counting.verify(token);
    counting.verify(token);
    assertEquals(1, keyLookups.get());

    later.advance(Duration.ofSeconds(60));
    assertEquals(ErrorReason.TOKEN_EXPIRED, assertThrows(Refusal.class, () -> counting.verify(token)).reason());
    assertEquals(2, keyLookups.get(), "an expired token is forgotten, so its signature is checked anew");
  }

  @Test
  void tokenIssuedAfterTheRevocationIsAccepted() {
    revocations.revoke(client.toString(), now.minusSeconds(30));
    verifier.verify(AccessTokens.sign(claims().build(), key.getEncoded()));
  }
}
