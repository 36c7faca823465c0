package org.homeserver.notifier.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.SignedJWT;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.util.Optional;

/** Checks a JWT's signature as the push services do, with Nimbus JOSE+JWT. */
public final class VerifiedJwt {
  private VerifiedJwt() {}

  /**
   * {@code token} if it is a compact JWS whose header names {@code algorithm} and whose signature
   * {@code key} (EC or RSA) verifies; empty otherwise.
   */
  public static Optional<SignedJWT> of(String token, JWSAlgorithm algorithm, PublicKey key) {
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      JWSVerifier verifier = switch (key) {
        case ECPublicKey ec -> new ECDSAVerifier(ec);
        case RSAPublicKey rsa -> new RSASSAVerifier(rsa);
        default -> throw new IllegalArgumentException("neither an EC nor an RSA key: " + key.getAlgorithm());
      };
      return algorithm.equals(jwt.getHeader().getAlgorithm()) && jwt.verify(verifier)
          ? Optional.of(jwt) : Optional.empty();
    } catch (ParseException | JOSEException e) {
      return Optional.empty();
    }
  }
}
