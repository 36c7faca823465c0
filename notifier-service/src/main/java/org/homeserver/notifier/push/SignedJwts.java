package org.homeserver.notifier.push;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;

/**
 * Signs the JWTs that push services take (APNs provider tokens, Google's assertions, VAPID tokens)
 * with Nimbus JOSE+JWT; ES256 signatures come out as the raw r||s pair JOSE wants.
 */
public final class SignedJwts {
  private SignedJwts() {}

  /**
   * {@code header} and {@code claims} signed with {@code key} (EC for ES256, RSA for RS256), compact.
   *
   * @throws IllegalArgumentException if the key does not suit the header's algorithm
   */
  public static String sign(JWSHeader header, JWTClaimsSet claims, PrivateKey key) {
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(key instanceof ECPrivateKey ec ? new ECDSASigner(ec) : new RSASSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalArgumentException("cannot sign " + header.getAlgorithm() + " with a " + key.getAlgorithm()
          + " key", e);
    }
    return jwt.serialize();
  }
}
