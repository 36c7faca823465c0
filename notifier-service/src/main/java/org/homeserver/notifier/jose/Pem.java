package org.homeserver.notifier.jose;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/** PKCS#8 private keys in PEM (RFC 7468), the form of Apple's .p8 keys and Google's service-account keys. */
public final class Pem {
  private static final String BEGIN = "-----BEGIN PRIVATE KEY-----";
  private static final String END = "-----END PRIVATE KEY-----";

  private Pem() {}

  /**
   * The key of a {@code PRIVATE KEY} PEM block, which must be of {@code algorithm} ("EC", "RSA").
   *
   * @throws IllegalArgumentException if there is no such block or it holds no such key
   */
  public static PrivateKey privateKey(String pem, String algorithm) {
    int begin = pem.indexOf(BEGIN);
    int end = pem.indexOf(END);
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException("no " + BEGIN + " block");
    }
    try {
      byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + BEGIN.length(), end).strip());
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      // The cause's message would be harmless, but a key's bytes must never reach a log: say only what failed.
      throw new IllegalArgumentException("the PEM block holds no PKCS#8 " + algorithm + " private key");
    }
  }

  /** {@code key} as a PKCS#8 {@code PRIVATE KEY} PEM block. */
  public static String encode(PrivateKey key) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(key.getEncoded());
    return BEGIN + "\n" + body + "\n" + END + "\n";
  }
}
