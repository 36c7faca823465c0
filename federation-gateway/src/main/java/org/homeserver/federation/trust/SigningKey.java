package org.homeserver.federation.trust;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * One of this homeserver's Ed25519 federation keys (federation.proto SIGNATURES): it signs the
 * calls made to peers between {@code validFrom} and {@code validUntil}, and peers verify them with
 * the raw public key GetFederationKeys publishes under {@code keyId}.
 */
public record SigningKey(String keyId, byte[] publicKey, PrivateKey privateKey, Instant validFrom, Instant validUntil) {
  /** An Ed25519 public key, raw (RFC 8032). */
  public static final int PUBLIC_KEY_BYTES = 32;
  /** The DER of SubjectPublicKeyInfo for Ed25519 up to the raw key: SEQUENCE, the OID 1.3.101.112, BIT STRING. */
  private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
  private static final int KEY_ID_DIGEST_CHARS = 12;

  public SigningKey {
    if (publicKey.length != PUBLIC_KEY_BYTES) {
      throw new IllegalArgumentException("an Ed25519 public key is 32 bytes, not " + publicKey.length);
    }
    publicKey = publicKey.clone();
    if (!keyId.equals(keyId(publicKey))) {
      throw new IllegalArgumentException("key id " + keyId + " is not that of its public key, " + keyId(publicKey));
    }
  }

  /** A new key, valid from {@code validFrom} until {@code validUntil}. */
  public static SigningKey generate(Instant validFrom, Instant validUntil) {
    try {
      KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      byte[] raw = raw(pair.getPublic());
      return new SigningKey(keyId(raw), raw, pair.getPrivate(), validFrom, validUntil);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java 25 runtime has Ed25519", e);
    }
  }

  /** A stored key: its raw public key and its private key's PKCS#8 encoding. */
  static SigningKey restore(byte[] publicKey, byte[] privateKeyPkcs8, Instant validFrom, Instant validUntil) {
    try {
      PrivateKey privateKey = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(privateKeyPkcs8));
      return new SigningKey(keyId(publicKey), publicKey, privateKey, validFrom, validUntil);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("a stored federation signing key is not an Ed25519 PKCS#8 key", e);
    }
  }

  /** How signatures name a key: {@code ed25519:} and the first 12 characters of base64url(SHA-256(raw key)). */
  public static String keyId(byte[] rawPublicKey) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(rawPublicKey);
      return "ed25519:" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, KEY_ID_DIGEST_CHARS);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  @Override
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** Whether signatures made at {@code moment} verify under this key. */
  public boolean validAt(Instant moment) {
    return !moment.isBefore(validFrom) && moment.isBefore(validUntil);
  }

  /** The Ed25519 signature of {@code message}. */
  public byte[] sign(byte[] message) {
    try {
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(privateKey);
      signer.update(message);
      return signer.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("an Ed25519 key of the JDK's own could not sign", e);
    }
  }

  /** Whether {@code signature} is the Ed25519 signature of {@code message} under {@code rawPublicKey}; malformed input is false. */
  public static boolean verify(byte[] rawPublicKey, byte[] message, byte[] signature) {
    if (rawPublicKey.length != PUBLIC_KEY_BYTES) {
      return false;
    }
    try {
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(publicKeyOf(rawPublicKey));
      verifier.update(message);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      // A key that is not a point, or a signature of the wrong length: it does not verify.
      return false;
    }
  }

  private static PublicKey publicKeyOf(byte[] raw) throws GeneralSecurityException {
    byte[] spki = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + raw.length);
    System.arraycopy(raw, 0, spki, SPKI_PREFIX.length, raw.length);
    return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
  }

  private static byte[] raw(PublicKey key) {
    byte[] spki = key.getEncoded();
    return Arrays.copyOfRange(spki, spki.length - PUBLIC_KEY_BYTES, spki.length);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SigningKey key && keyId.equals(key.keyId) && validFrom.equals(key.validFrom)
        && validUntil.equals(key.validUntil);
  }

  @Override
  public int hashCode() {
    return keyId.hashCode();
  }

  @Override
  public String toString() {
    // Never the private key.
    return "SigningKey[" + keyId + " valid from " + validFrom + " until " + validUntil + "]";
  }
}
