package org.homeserver.federation.trust;

import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * The private key of federation.key-file: PKCS#8 ({@code BEGIN PRIVATE KEY}) or traditional
 * ({@code BEGIN EC PRIVATE KEY}, {@code BEGIN RSA PRIVATE KEY}), as the JDK's own key type. Read
 * with Bouncy Castle's core ASN.1 (this module has no compile-time bcpkix, so no PEMParser).
 */
final class IdentityKey {
  private IdentityKey() {}

  /** The file's one key; an {@link IllegalArgumentException} says what is wrong, never quoting the key. */
  static PrivateKey read(byte[] content) {
    List<PrivateKeyInfo> keys = new ArrayList<>();
    try (PemReader reader = new PemReader(new InputStreamReader(new ByteArrayInputStream(content),
        StandardCharsets.US_ASCII))) {
      for (PemObject block = reader.readPemObject(); block != null; block = reader.readPemObject()) {
        switch (block.getType()) {
          case "PRIVATE KEY" -> keys.add(PrivateKeyInfo.getInstance(block.getContent()));
          case "EC PRIVATE KEY" -> {
            ECPrivateKey sec1 = ECPrivateKey.getInstance(block.getContent());
            keys.add(new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
                sec1.getParametersObject()), sec1));
          }
          case "RSA PRIVATE KEY" -> keys.add(new PrivateKeyInfo(
              new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
              RSAPrivateKey.getInstance(block.getContent())));
          case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException(
              "the private key is encrypted; write it unencrypted, readable only by the homeserver's user");
          default -> { }   // EC PARAMETERS before a traditional key, a certificate: not the key
        }
      }
      if (keys.size() != 1) {
        throw new IllegalArgumentException(keys.isEmpty()
            ? "holds no private key (expected BEGIN PRIVATE KEY, BEGIN EC PRIVATE KEY or BEGIN RSA PRIVATE KEY)"
            : "holds " + keys.size() + " private keys; it must hold exactly one");
      }
      PrivateKeyInfo key = keys.getFirst();
      return KeyFactory.getInstance(algorithm(key.getPrivateKeyAlgorithm().getAlgorithm()))
          .generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("the private key cannot be used: " + e.getMessage());
    } catch (IllegalStateException e) {
      // Bouncy Castle reports bad base64 and bad DER as runtime exceptions.
      throw new IllegalArgumentException("is not valid PEM: " + e.getMessage());
    }
  }

  /** id-Ed25519 (RFC 8410). */
  private static final ASN1ObjectIdentifier ED25519 = new ASN1ObjectIdentifier("1.3.101.112");

  private static String algorithm(ASN1ObjectIdentifier oid) {
    if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
      return "EC";
    }
    if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
      return "RSA";
    }
    if (oid.equals(ED25519)) {
      return "Ed25519";
    }
    throw new IllegalArgumentException("holds a key of algorithm " + oid + "; supported are EC, RSA and Ed25519");
  }
}
