package org.homeserver.notifier.webpush;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.homeserver.notifier.push.JsonBodies;
import org.homeserver.notifier.testing.InvalidPush;
import org.homeserver.notifier.testing.VapidClaims;
import org.homeserver.notifier.testing.VapidVerifier;
import org.junit.jupiter.api.Test;

class VapidKeyTest {
  private static final URI ENDPOINT = URI.create("https://push.example.net/wpush/v2/gAAAAABk");
  private static final String ORIGIN = "https://push.example.net";
  private static final String SUBJECT = "mailto:ops@example.org";
  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");

  private final VapidKey key = VapidKey.generate(new SecureRandom());

  @Test
  void authorizationVerifiesWithTheKeyItCarries() throws InvalidPush {
    String header = key.authorization(ENDPOINT, SUBJECT, NOW);

    VapidClaims claims = VapidVerifier.verify(header, ORIGIN, NOW, Optional.of(key.publicKey()));

    assertTrue(header.startsWith("vapid t="), header);
    assertTrue(header.endsWith(", k=" + key.publicKeyBase64Url()), header);
    assertEquals(SUBJECT, claims.subject());
    assertArrayEquals(key.publicKey(), claims.publicKey());
  }

  @Test
  void tokenExpiresTwelveHoursAfterNow() throws InvalidPush {
    Instant now = Instant.parse("2026-03-01T10:00:00.750Z");

    VapidClaims claims = VapidVerifier.verify(key.authorization(ENDPOINT, SUBJECT, now), ORIGIN, now, Optional.empty());

    assertEquals(Instant.parse("2026-03-01T22:00:00Z"), claims.expiry());
  }

  @Test
  void audienceIsTheEndpointOriginWithoutPathOrDefaultPort() {
    assertEquals("https://push.example.net", VapidKey.origin(URI.create("https://Push.Example.net:443/wpush/abc?x=1")));
    assertEquals("http://push.example.net", VapidKey.origin(URI.create("http://push.example.net:80/a")));
    assertEquals("https://push.example.net:8443", VapidKey.origin(URI.create("https://push.example.net:8443/a")));
    assertEquals("http://127.0.0.1:45678", VapidKey.origin(URI.create("http://127.0.0.1:45678/push/1")));
  }

  @Test
  void jwtHeaderNamesEs256AndTheSignatureIsRawRAndS() {
    String[] jwt = token(key.authorization(ENDPOINT, SUBJECT, NOW)).split("\\.");

    assertEquals(JsonBodies.parse("{\"typ\":\"JWT\",\"alg\":\"ES256\"}"), JsonBodies.parse(decodeText(jwt[0])));
    assertEquals(64, Base64.getUrlDecoder().decode(jwt[2]).length);
  }

  @Test
  void tamperedSignatureIsRejected() {
    String header = key.authorization(ENDPOINT, SUBJECT, NOW);
    String token = token(header);
    byte[] signature = Base64.getUrlDecoder().decode(token.substring(token.lastIndexOf('.') + 1));
    signature[10] ^= 1;
    String tampered = header.replace(token,
        token.substring(0, token.lastIndexOf('.') + 1) + Base64.getUrlEncoder().withoutPadding().encodeToString(signature));

    assertRejected(tampered, ORIGIN, NOW, "signature does not verify");
  }

  @Test
  void claimsChangedAfterSigningAreRejected() {
    String header = key.authorization(ENDPOINT, SUBJECT, NOW);
    String[] jwt = token(header).split("\\.");
    String otherClaims = Base64.getUrlEncoder().withoutPadding().encodeToString(
        decodeText(jwt[1]).replace(ORIGIN, "https://other.example").getBytes(StandardCharsets.UTF_8));
    String tampered = header.replace(jwt[1], otherClaims);

    assertRejected(tampered, "https://other.example", NOW, "signature does not verify");
  }

  @Test
  void tokenForAnotherOriginIsRejected() {
    String header = key.authorization(URI.create("https://updates.push.services.example/wpush/1"), SUBJECT, NOW);

    assertRejected(header, ORIGIN, NOW, "aud is https://updates.push.services.example");
  }

  @Test
  void expiredTokenIsRejected() {
    String header = key.authorization(ENDPOINT, SUBJECT, NOW);

    assertRejected(header, ORIGIN, NOW.plus(Duration.ofHours(12)), "expired");
  }

  @Test
  void tokenLastingMoreThanADayIsRejected() {
    String header = key.authorization(ENDPOINT, SUBJECT, NOW);

    assertRejected(header, ORIGIN, NOW.minus(Duration.ofHours(13)), "more than 24 hours ahead");
  }

  @Test
  void signedTokenWithMalformedClaimsIsRejected() throws Exception {
    long exp = NOW.plus(Duration.ofHours(1)).getEpochSecond();
    Map<String, String> reasons = new LinkedHashMap<>();
    reasons.put("\"exp\":\"" + exp + "\",\"sub\":\"" + SUBJECT + "\"", "exp is missing or not a whole number");
    reasons.put("\"exp\":" + exp + ".5,\"sub\":\"" + SUBJECT + "\"", "exp is missing or not a whole number");
    reasons.put("\"exp\":" + Long.MIN_VALUE + ",\"sub\":\"" + SUBJECT + "\"", "expired");
    reasons.put("\"exp\":" + Long.MAX_VALUE + ",\"sub\":\"" + SUBJECT + "\"", "more than 24 hours ahead");
    reasons.put("\"exp\":" + exp + ",\"sub\":\"http://example.org\"", "sub is missing or not a mailto: or https: URI");
    reasons.put("\"exp\":" + exp, "sub is missing");

    for (Map.Entry<String, String> claims : reasons.entrySet()) {
      // Signed as they stand: Nimbus's JWTClaimsSet would refuse a malformed exp before signing.
      JWSObject token = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).build(),
          new Payload("{\"aud\":\"" + ORIGIN + "\"," + claims.getKey() + "}"));
      token.sign(new ECDSASigner(privateKey(key)));

      assertRejected("vapid t=" + token.serialize() + ", k=" + key.publicKeyBase64Url(), ORIGIN, NOW,
          claims.getValue());
    }
  }

  @Test
  void tokenSignedByAnotherKeyIsRejectedWhenTheKeyIsPinned() {
    String header = VapidKey.generate(new SecureRandom()).authorization(ENDPOINT, SUBJECT, NOW);

    InvalidPush refused = assertThrows(InvalidPush.class,
        () -> VapidVerifier.verify(header, ORIGIN, NOW, Optional.of(key.publicKey())));
    assertTrue(refused.getMessage().contains("not the expected VAPID key"), refused.getMessage());
  }

  @Test
  void keyRestoredFromPkcs8SignsAsTheSameKey() throws InvalidPush {
    VapidKey restored = VapidKey.fromPkcs8(key.pkcs8());

    assertArrayEquals(key.publicKey(), restored.publicKey());
    VapidVerifier.verify(restored.authorization(ENDPOINT, SUBJECT, NOW), ORIGIN, NOW, Optional.of(key.publicKey()));
  }

  @Test
  void publicKeyIsAnUncompressedPointInUnpaddedBase64Url() {
    assertEquals(65, key.publicKey().length);
    assertEquals(0x04, key.publicKey()[0]);
    assertEquals(87, key.publicKeyBase64Url().length());
    assertArrayEquals(key.publicKey(), Base64.getUrlDecoder().decode(key.publicKeyBase64Url()));
  }

  @Test
  void pkcs8OfAnotherCurveOrNoKeyIsRejected() throws Exception {
    KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC");
    p384.initialize(new ECGenParameterSpec("secp384r1"));
    byte[] otherCurve = p384.generateKeyPair().getPrivate().getEncoded();
    KeyPairGenerator ed25519 = KeyPairGenerator.getInstance("Ed25519");
    byte[] otherAlgorithm = ed25519.generateKeyPair().getPrivate().getEncoded();

    for (byte[] bad : new byte[][] {otherCurve, otherAlgorithm, new byte[] {0x30, 0x00}, new byte[0]}) {
      assertThrows(IllegalArgumentException.class, () -> VapidKey.fromPkcs8(bad));
    }
  }

  @Test
  void subjectMustBeAMailtoOrHttpsUri() {
    for (String bad : new String[] {"ops@example.org", "mailto:", "http://example.org", "https://", ""}) {
      assertThrows(IllegalArgumentException.class, () -> key.authorization(ENDPOINT, bad, NOW), bad);
    }
  }

  private static void assertRejected(String header, String origin, Instant now, String reason) {
    InvalidPush refused = assertThrows(InvalidPush.class, () -> VapidVerifier.verify(header, origin, now, Optional.empty()));
    assertTrue(refused.getMessage().contains(reason), refused.getMessage());
  }

  private static ECPrivateKey privateKey(VapidKey key) throws GeneralSecurityException {
    return (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(key.pkcs8()));
  }

  private static String token(String header) {
    return header.substring("vapid t=".length(), header.indexOf(", k="));
  }

  private static String decodeText(String base64Url) {
    return new String(Base64.getUrlDecoder().decode(base64Url), StandardCharsets.UTF_8);
  }
}
