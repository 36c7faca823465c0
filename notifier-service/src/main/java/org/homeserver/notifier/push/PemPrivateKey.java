package org.homeserver.notifier.push;

import java.io.IOException;
import java.io.StringReader;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;

/** PKCS#8 private keys in PEM (RFC 7468), the form of Apple's .p8 keys and Google's service-account keys. */
public final class PemPrivateKey {
  private PemPrivateKey() {}

  /**
   * The key of the first PEM block of {@code pem}, which must be a {@code PRIVATE KEY} of
   * {@code algorithm} ("EC", "RSA").
   *
   * @throws IllegalArgumentException if there is no such block or it holds no such key; the message
   *                                  says which, and never quotes the text (a key must not reach a log)
   */
  public static PrivateKey read(String pem, String algorithm) {
    Object block;
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      block = parser.readObject();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("the key's text is not valid PEM");
    }
    if (!(block instanceof PrivateKeyInfo pkcs8)) {
      throw new IllegalArgumentException("the key's text holds no -----BEGIN PRIVATE KEY----- block");
    }
    try {
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8.getEncoded()));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("the PEM block holds no PKCS#8 " + algorithm + " private key");
    }
  }
}
