package org.homeserver.federation.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.federation.trust.RequestSignature.KeyLookup;
import org.homeserver.federation.trust.RequestSignature.PeerKey;
import org.homeserver.federation.trust.RequestSignature.Verified;
import org.homeserver.platform.errors.Fact;
import org.homeserver.platform.errors.Refusal;
import org.junit.jupiter.api.Test;

class RequestSignatureTest {
  private static final String METHOD = "homeserver.federation.v1.FederationService/DeliverBatch";
  private static final String ORIGIN = "a.example";
  private static final String HERE = "b.example";
  private static final Instant NOW = Instant.parse("2026-12-05T04:00:00Z");
  private static final byte[] BODY = "a DeliverBatchRequest".getBytes(StandardCharsets.UTF_8);

  private final SigningKey key = SigningKey.generate(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(364)));
  /** The origin publishes {@link #key}, and nothing else. */
  private final KeyLookup published = (origin, keyId) -> origin.equals(ORIGIN) && keyId.equals(key.keyId())
      ? Optional.of(new PeerKey(key.publicKey(), key.validFrom(), key.validUntil())) : Optional.empty();

  @Test
  void aSignedCallVerifiesAndNamesItsOriginAndRequestId() {
    Metadata headers = RequestSignature.sign(key, METHOD, ORIGIN, HERE, BODY, NOW);

    Verified verified = RequestSignature.verify(headers, METHOD, HERE, BODY, published, NOW.plusSeconds(30));
    assertEquals(ORIGIN, verified.origin());
    assertEquals(headers.get(RequestSignature.REQUEST_ID), verified.requestId());
    assertEquals(NOW, verified.timestamp());
    assertEquals(NOW.plus(Duration.ofMinutes(10)), verified.rememberUntil());
  }

  @Test
  void theMetadataIsTheOneSignaturesDescribes() throws Exception {
    Metadata headers = RequestSignature.sign(key, METHOD, ORIGIN, HERE, BODY, NOW);

    String requestId = headers.get(RequestSignature.REQUEST_ID);
    assertTrue(requestId.matches("[A-Za-z0-9_-]{16,64}"), requestId);
    assertEquals(Long.toString(NOW.getEpochSecond()), headers.get(RequestSignature.TIMESTAMP));
    assertEquals(key.keyId(), headers.get(RequestSignature.KEY_ID));
    assertTrue(key.keyId().matches("ed25519:[A-Za-z0-9_-]{12}"), key.keyId());
    String signature = headers.get(RequestSignature.SIGNATURE);
    assertFalse(signature.contains("="), "no padding");
    // The string of federation.proto, written out here rather than by the code under test.
    String digest = Base64.getUrlEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256").digest(BODY));
    String signed = "homeserver-federation-v1\n" + METHOD + "\n" + ORIGIN + "\n" + HERE + "\n" + requestId + "\n"
        + NOW.getEpochSecond() + "\n" + digest + "\n";
    assertTrue(SigningKey.verify(key.publicKey(), signed.getBytes(StandardCharsets.UTF_8),
        Base64.getUrlDecoder().decode(signature)));
  }

  @Test
  void everySignatureHasANewRequestId() {
    assertNotEquals(RequestSignature.sign(key, METHOD, ORIGIN, HERE, BODY, NOW).get(RequestSignature.REQUEST_ID),
        RequestSignature.sign(key, METHOD, ORIGIN, HERE, BODY, NOW).get(RequestSignature.REQUEST_ID));
  }

  @Test
  void aForgedSignatureIsRefused() {
    Metadata headers = RequestSignature.sign(key, METHOD, ORIGIN, HERE, BODY, NOW);
    // Signed by another key that claims the origin's key id.
    SigningKey forger = SigningKey.generate(key.validFrom(), key.validUntil());
    Metadata forged = RequestSignature.sign(forger, METHOD, ORIGIN, HERE, BODY, NOW);
    forged.removeAll(RequestSignature.KEY_ID);
    forged.put(RequestSignature.KEY_ID, key.keyId());

    assertRefused("the signature does not verify under key " + key.keyId() + " of a.example",
        () -> RequestSignature.verify(forged, METHOD, HERE, BODY, published, NOW));
    assertRefused("the signature does not verify",
        () -> RequestSignature.verify(with(headers, RequestSignature.SIGNATURE, flipped(headers)), METHOD, HERE, BODY,
            published, NOW));
  }

  @Test
  void aChangedBodyOrMethodIsRefused() {
    Metadata headers = RequestSignature.sign(key, METHOD, ORIGIN, HERE, BODY, NOW);

    assertRefused("the signature does not verify", () -> RequestSignature.verify(headers, METHOD, HERE,
        "another DeliverBatchRequest".getBytes(StandardCharsets.UTF_8), published, NOW));
    assertRefused("the signature does not verify", () -> RequestSignature.verify(headers,
        "homeserver.federation.v1.FederationService/ClaimKeyPackages", HERE, BODY, published, NOW));
  }

  @Test
  void aCallSignedForAnotherDestinationIsRefused() {
    Metadata headers = RequestSignature.sign(key, METHOD, ORIGIN, "c.example", BODY, NOW);

    assertRefused("the call is signed for destination c.example, not b.example",
        () -> RequestSignature.verify(headers, METHOD, HERE, BODY, published, NOW));
    // Rewriting the destination breaks the signature.
    assertRefused("the signature does not verify", () -> RequestSignature.verify(
        with(headers, RequestSignature.DESTINATION, HERE), METHOD, HERE, BODY, published, NOW));
  }

  @Test
  void aTimestampMoreThanFiveMinutesOffIsRefusedEitherWay() {
    Metadata headers = RequestSignature.sign(key, METHOD, ORIGIN, HERE, BODY, NOW);

    RequestSignature.verify(headers, METHOD, HERE, BODY, published, NOW.plus(Duration.ofMinutes(5)));
    assertRefused("the call was signed at 2026-12-05T04:00:00Z, more than 5 minutes off the receiver's clock",
        () -> RequestSignature.verify(headers, METHOD, HERE, BODY, published, NOW.plus(Duration.ofMinutes(5)).plusSeconds(1)));
    assertRefused("the call was signed at 2026-12-05T04:00:00Z, more than 5 minutes off the receiver's clock",
        () -> RequestSignature.verify(headers, METHOD, HERE, BODY, published, NOW.minus(Duration.ofMinutes(6))));
  }

  @Test
  void aKeyTheOriginDoesNotPublishIsRefused() {
    SigningKey unknown = SigningKey.generate(key.validFrom(), key.validUntil());
    Metadata headers = RequestSignature.sign(unknown, METHOD, ORIGIN, HERE, BODY, NOW);

    assertRefused("key " + unknown.keyId() + " is not one a.example publishes",
        () -> RequestSignature.verify(headers, METHOD, HERE, BODY, published, NOW));
    // The same key under another origin's name is not that origin's either.
    Metadata otherOrigin = RequestSignature.sign(key, METHOD, "c.example", HERE, BODY, NOW);
    assertRefused("key " + key.keyId() + " is not one c.example publishes",
        () -> RequestSignature.verify(otherOrigin, METHOD, HERE, BODY, published, NOW));
  }

  @Test
  void aKeyNotValidAtTheTimestampIsRefused() {
    Instant late = key.validUntil().plusSeconds(10);
    Metadata headers = RequestSignature.sign(key, METHOD, ORIGIN, HERE, BODY, late);

    assertRefused("key " + key.keyId() + " of a.example is valid from " + key.validFrom() + " until "
        + key.validUntil() + ", not at " + late, () -> RequestSignature.verify(headers, METHOD, HERE, BODY, published, late));
  }

  @Test
  void aMissingOrMalformedHeaderIsRefused() {
    Metadata headers = RequestSignature.sign(key, METHOD, ORIGIN, HERE, BODY, NOW);
    for (Metadata.Key<String> header : new Metadata.Key[] {RequestSignature.ORIGIN, RequestSignature.DESTINATION,
        RequestSignature.REQUEST_ID, RequestSignature.TIMESTAMP, RequestSignature.KEY_ID, RequestSignature.SIGNATURE}) {
      Metadata without = new Metadata();
      without.merge(headers);
      without.removeAll(header);
      assertRefused("the call carries no " + header.name(),
          () -> RequestSignature.verify(without, METHOD, HERE, BODY, published, NOW));
    }
    assertRefused("hs-fed-request-id must be 16 to 64 characters", () -> RequestSignature.verify(
        with(headers, RequestSignature.REQUEST_ID, "short"), METHOD, HERE, BODY, published, NOW));
    assertRefused("hs-fed-timestamp must be seconds since the epoch", () -> RequestSignature.verify(
        with(headers, RequestSignature.TIMESTAMP, "-5"), METHOD, HERE, BODY, published, NOW));
    assertRefused("hs-fed-timestamp must be seconds since the epoch", () -> RequestSignature.verify(
        with(headers, RequestSignature.TIMESTAMP, "99999999999999999999"), METHOD, HERE, BODY, published, NOW));
    assertRefused("hs-fed-signature is not base64url", () -> RequestSignature.verify(
        with(headers, RequestSignature.SIGNATURE, "not+base64/url"), METHOD, HERE, BODY, published, NOW));
  }

  @Test
  void signingKeysVerifyOnlyTheirOwnSignatures() {
    byte[] signature = key.sign(BODY);
    assertEquals(64, signature.length);
    assertTrue(SigningKey.verify(key.publicKey(), BODY, signature));
    assertFalse(SigningKey.verify(SigningKey.generate(NOW, NOW.plusSeconds(1)).publicKey(), BODY, signature));
    assertFalse(SigningKey.verify(new byte[31], BODY, signature));
    assertFalse(SigningKey.verify(key.publicKey(), BODY, new byte[3]));
    assertArrayEquals(key.publicKey(), key.publicKey());
    assertEquals(32, key.publicKey().length);
  }

  private static Metadata with(Metadata headers, Metadata.Key<String> header, String value) {
    Metadata changed = new Metadata();
    changed.merge(headers);
    changed.removeAll(header);
    changed.put(header, value);
    return changed;
  }

  private static String flipped(Metadata headers) {
    byte[] signature = Base64.getUrlDecoder().decode(headers.get(RequestSignature.SIGNATURE));
    signature[10] ^= 1;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
  }

  private static void assertRefused(String detailStart, Runnable verify) {
    Refusal refusal = assertThrows(Refusal.class, verify::run);
    assertEquals(ErrorReason.FEDERATION_SIGNATURE_INVALID, refusal.reason());
    String detail = refusal.fact(Fact.DETAIL).orElseThrow();
    assertTrue(detail.startsWith(detailStart), detail);
  }
}
