package org.homeserver.notifier.apns;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.util.Objects;
import org.homeserver.notifier.push.PemPrivateKey;

/**
 * What APNs token authentication needs: the Apple developer team, the id of the team's APNs key
 * and the key itself (the P-256 key of an Apple .p8 file).
 */
public record ApnsCredentials(String teamId, String keyId, ECPrivateKey key) {
  public ApnsCredentials {
    if (teamId == null || teamId.isBlank() || keyId == null || keyId.isBlank()) {
      throw new IllegalArgumentException("the APNs team id and key id must be set");
    }
    Objects.requireNonNull(key, "key");
    if (!isP256(key.getParams())) {
      throw new IllegalArgumentException("an APNs key is a P-256 key");
    }
  }

  /**
   * The credentials of an Apple .p8 key file's text (a PKCS#8 PEM block).
   *
   * @throws IllegalArgumentException if the text holds no P-256 private key
   */
  public static ApnsCredentials fromPem(String teamId, String keyId, String p8) {
    PrivateKey key = PemPrivateKey.read(p8, "EC");
    if (!(key instanceof ECPrivateKey ecKey)) {
      throw new IllegalArgumentException("an APNs key is an EC key");
    }
    return new ApnsCredentials(teamId, keyId, ecKey);
  }

  /** Never the key: credentials end up in logs through the configuration. */
  @Override
  public String toString() {
    return "ApnsCredentials[teamId=" + teamId + ", keyId=" + keyId + "]";
  }

  private static boolean isP256(ECParameterSpec params) {
    try {
      AlgorithmParameters p256 = AlgorithmParameters.getInstance("EC");
      p256.init(new ECGenParameterSpec("secp256r1"));
      ECParameterSpec expected = p256.getParameterSpec(ECParameterSpec.class);
      return expected.getCurve().equals(params.getCurve()) && expected.getOrder().equals(params.getOrder());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks P-256", e);
    }
  }
}
