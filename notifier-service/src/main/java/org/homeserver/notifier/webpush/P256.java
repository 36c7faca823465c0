package org.homeserver.notifier.webpush;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import javax.crypto.KeyAgreement;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;

/** P-256 keys in the shapes Web Push uses: 65-byte uncompressed points, 32-byte scalars, ECDH secrets. */
public final class P256 {
  /** An uncompressed point: 0x04, then x and y of 32 bytes each (SEC 1 section 2.3.3). */
  public static final int POINT_BYTES = 65;
  private static final int COORDINATE_BYTES = 32;
  private static final byte UNCOMPRESSED = 0x04;
  // Bouncy Castle checks that a point is on the curve, which the JDK's KeyFactory does not.
  private static final ECDomainParameters CURVE = ECNamedDomainParameters.lookup(SECObjectIdentifiers.secp256r1);
  private static final ECParameterSpec SPEC = jdkSpec();

  private P256() {}

  public static KeyPair generate(SecureRandom random) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), random);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no P-256", e);
    }
  }

  /**
   * The public key of an uncompressed point.
   *
   * @throws IllegalArgumentException if {@code point} is not 65 bytes, not uncompressed or not on the curve
   */
  public static ECPublicKey publicKey(byte[] point) {
    if (point.length != POINT_BYTES || point[0] != UNCOMPRESSED) {
      throw new IllegalArgumentException("not an uncompressed P-256 point (65 bytes starting 0x04)");
    }
    try {
      CURVE.getCurve().decodePoint(point);
    } catch (IllegalArgumentException offCurve) {
      throw new IllegalArgumentException("not a point on P-256");
    }
    ECPoint w = new ECPoint(unsigned(point, 1), unsigned(point, 1 + COORDINATE_BYTES));
    return (ECPublicKey) generate(new ECPublicKeySpec(w, SPEC));
  }

  /**
   * The private key of a 32-byte big-endian scalar, as published test vectors give them.
   *
   * @throws IllegalArgumentException if the scalar is not in [1, n-1]
   */
  public static ECPrivateKey privateKey(byte[] scalar) {
    BigInteger d = new BigInteger(1, scalar);
    if (scalar.length != COORDINATE_BYTES || d.signum() == 0 || d.compareTo(CURVE.getN()) >= 0) {
      throw new IllegalArgumentException("not a P-256 private scalar");
    }
    try {
      return (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(d, SPEC));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no P-256", e);
    }
  }

  /** The 65-byte uncompressed point of a P-256 public key. */
  public static byte[] encode(ECPublicKey key) {
    requireP256(key.getParams());
    byte[] point = new byte[POINT_BYTES];
    point[0] = UNCOMPRESSED;
    copyFixed(key.getW().getAffineX(), point, 1);
    copyFixed(key.getW().getAffineY(), point, 1 + COORDINATE_BYTES);
    return point;
  }

  /** The public point belonging to a private key: d times the base point. */
  public static byte[] publicPoint(ECPrivateKey key) {
    requireP256(key.getParams());
    return CURVE.getG().multiply(key.getS()).normalize().getEncoded(false);
  }

  /** The ECDH shared secret: the x coordinate of the shared point, 32 bytes. */
  public static byte[] sharedSecret(PrivateKey own, PublicKey peer) {
    try {
      KeyAgreement agreement = KeyAgreement.getInstance("ECDH");
      agreement.init(own);
      agreement.doPhase(peer, true);
      return agreement.generateSecret();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("ECDH failed: " + e.getMessage(), e);
    }
  }

  /** @throws IllegalArgumentException if the key is on another curve */
  static void requireP256(ECParameterSpec params) {
    if (!params.getOrder().equals(SPEC.getOrder()) || !params.getCurve().equals(SPEC.getCurve())) {
      throw new IllegalArgumentException("not a P-256 key");
    }
  }

  private static PublicKey generate(ECPublicKeySpec spec) {
    try {
      return KeyFactory.getInstance("EC").generatePublic(spec);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not a P-256 public key", e);
    }
  }

  private static BigInteger unsigned(byte[] bytes, int from) {
    return new BigInteger(1, Arrays.copyOfRange(bytes, from, from + COORDINATE_BYTES));
  }

  private static void copyFixed(BigInteger value, byte[] target, int at) {
    byte[] raw = value.toByteArray();
    int length = Math.min(raw.length, COORDINATE_BYTES);
    System.arraycopy(raw, raw.length - length, target, at + COORDINATE_BYTES - length, length);
  }

  private static ECParameterSpec jdkSpec() {
    try {
      AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
      parameters.init(new ECGenParameterSpec("secp256r1"));
      return parameters.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
