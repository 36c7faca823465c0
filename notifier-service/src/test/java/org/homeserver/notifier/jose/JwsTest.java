package org.homeserver.notifier.jose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JwsTest {
  private final KeyPair ecKey = keyPair("EC");
  private final KeyPair rsaKey = keyPair("RSA");

  @Test
  void signedTokenVerifiesWithItsHeaderAndClaims() {
    String token = Jws.sign(Jws.Algorithm.ES256, Json.members("alg", "ES256", "kid", "K"),
        Json.members("iss", "T", "iat", 1_700_000_000L), ecKey.getPrivate());

    Jws.Verified verified = Jws.verify(token, Jws.Algorithm.ES256, ecKey.getPublic()).orElseThrow();

    assertEquals(Map.of("alg", "ES256", "kid", "K"), verified.header());
    assertEquals(Map.of("iss", "T", "iat", new BigDecimal(1_700_000_000L)), verified.claims());
  }

  @Test
  void es256SignatureIsTheRawSixtyFourBytePairJoseWants() {
    String token = Jws.sign(Jws.Algorithm.ES256, Json.members("alg", "ES256"), Json.members(), ecKey.getPrivate());

    assertEquals(64, Base64.getUrlDecoder().decode(token.substring(token.lastIndexOf('.') + 1)).length);
  }

  @Test
  void tamperedClaimsOrAnotherKeyOrAlgorithmFailToVerify() {
    String token = Jws.sign(Jws.Algorithm.RS256, Json.members("alg", "RS256"), Json.members("iss", "a"),
        rsaKey.getPrivate());
    String[] parts = token.split("\\.");
    String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
        .encodeToString("{\"iss\":\"b\"}".getBytes(StandardCharsets.UTF_8)) + "." + parts[2];

    assertTrue(Jws.verify(token, Jws.Algorithm.RS256, rsaKey.getPublic()).isPresent());
    assertTrue(Jws.verify(tampered, Jws.Algorithm.RS256, rsaKey.getPublic()).isEmpty());
    assertTrue(Jws.verify(token, Jws.Algorithm.RS256, keyPair("RSA").getPublic()).isEmpty());
    assertTrue(Jws.verify(token, Jws.Algorithm.ES256, ecKey.getPublic()).isEmpty());
    assertTrue(Jws.verify("a.b", Jws.Algorithm.RS256, rsaKey.getPublic()).isEmpty());
    assertTrue(Jws.verify("!!.??.**", Jws.Algorithm.RS256, rsaKey.getPublic()).isEmpty());
  }

  @Test
  void derEncodedEs256SignatureFailsToVerify() throws GeneralSecurityException {
    String token = Jws.sign(Jws.Algorithm.ES256, Json.members("alg", "ES256"), Json.members("iss", "a"), ecKey.getPrivate());
    String signingInput = token.substring(0, token.lastIndexOf('.'));
    Signature der = Signature.getInstance("SHA256withECDSA");
    der.initSign(ecKey.getPrivate());
    der.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    String derToken = signingInput + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(der.sign());

    assertTrue(Jws.verify(derToken, Jws.Algorithm.ES256, ecKey.getPublic()).isEmpty());
  }

  @Test
  void paddedBase64UrlFailsToVerify() {
    // 64 signature bytes are 86 characters unpadded, so the padded spelling ends in "==".
    String token = Jws.sign(Jws.Algorithm.ES256, Json.members("alg", "ES256"), Json.members("iss", "a"), ecKey.getPrivate());

    assertTrue(Jws.verify(token, Jws.Algorithm.ES256, ecKey.getPublic()).isPresent());
    assertTrue(Jws.verify(token + "==", Jws.Algorithm.ES256, ecKey.getPublic()).isEmpty());
  }

  @Test
  void keyNotSuitingTheAlgorithmIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> Jws.sign(Jws.Algorithm.ES256, Json.members("alg", "ES256"), Json.members(), rsaKey.getPrivate()));
  }

  private static KeyPair keyPair(String algorithm) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
      if (algorithm.equals("EC")) {
        generator.initialize(new ECGenParameterSpec("secp256r1"));
      }
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
