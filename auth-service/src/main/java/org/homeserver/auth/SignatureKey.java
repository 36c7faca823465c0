package org.homeserver.auth;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.mls.crypto.LabeledSignatures;

/**
 * A client's MLS signature public key, known to be a valid key of its scheme, that checks RFC 9420
 * VerifyWithLabel signatures made with the matching private key.
 *
 * <p>The canonical constructor rejects an invalid key with {@link IllegalArgumentException} (a
 * programming error); keys from the network go through {@link #of}, which says what is wrong.
 */
public record SignatureKey(SignatureScheme scheme, byte[] publicKey) {
  private static final int ED25519_KEY_BYTES = 32;
  private static final int P256_POINT_BYTES = 65;
  private static final byte SEC1_UNCOMPRESSED = 0x04;
  private static final ECDomainParameters P256 = ECNamedDomainParameters.lookup(SECObjectIdentifiers.secp256r1);

  public SignatureKey {
    Objects.requireNonNull(scheme, "scheme");
    publicKey = publicKey.clone();
    Optional<String> problem = problemWith(scheme, publicKey);
    if (problem.isPresent()) {
      throw new IllegalArgumentException(problem.get());
    }
  }

  /** The key, if {@code publicKey} is a valid key of {@code scheme} in its MLS encoding. */
  public static SignatureKey of(SignatureScheme scheme, byte[] publicKey) throws InvalidSignatureKeyException {
    Objects.requireNonNull(publicKey, "publicKey");
    Optional<String> problem = problemWith(scheme, publicKey);
    if (problem.isPresent()) {
      throw new InvalidSignatureKeyException(problem.get());
    }
    return new SignatureKey(scheme, publicKey);
  }

  @Override
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /**
   * RFC 9420 VerifyWithLabel: whether {@code signature} signs SignContent(label, content) with this key.
   * A malformed signature is simply false.
   */
  public boolean verifyWithLabel(String label, byte[] content, byte[] signature) {
    Objects.requireNonNull(signature, "signature");
    return LabeledSignatures.verifyWithLabel(mlsScheme(), publicKey, label, content, signature);
  }

  /** The same scheme in the mls library (the code points are the IANA ones in both). */
  private org.homeserver.mls.crypto.SignatureScheme mlsScheme() {
    return org.homeserver.mls.crypto.SignatureScheme.fromCode(scheme.getNumber()).orElseThrow(this::unreachable);
  }

  /** The key as a JDK public key (X.509 SubjectPublicKeyInfo inside), for certificate issuance. */
  public PublicKey toPublicKey() {
    String algorithm = scheme == SignatureScheme.ED25519 ? "Ed25519" : "EC";
    try {
      byte[] spki = SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(keyParameters()).getEncoded();
      return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(spki));
    } catch (IOException | GeneralSecurityException e) {
      // Every Java 25 runtime has both key factories, and the key was validated on construction.
      throw new IllegalStateException("the JDK cannot load a valid " + scheme + " key", e);
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SignatureKey key && scheme == key.scheme && Arrays.equals(publicKey, key.publicKey);
  }

  @Override
  public int hashCode() {
    return 31 * scheme.hashCode() + Arrays.hashCode(publicKey);
  }

  @Override
  public String toString() {
    return "SignatureKey[" + scheme + " " + HexFormat.of().formatHex(publicKey) + "]";
  }

  private AsymmetricKeyParameter keyParameters() {
    return switch (scheme) {
      case ED25519 -> new Ed25519PublicKeyParameters(publicKey);
      case ECDSA_SECP256R1_SHA256 -> new ECPublicKeyParameters(P256.getCurve().decodePoint(publicKey), P256);
      default -> throw unreachable();
    };
  }

  private IllegalStateException unreachable() {
    return new IllegalStateException("a SignatureKey with scheme " + scheme + " was constructed");
  }

  private static Optional<String> problemWith(SignatureScheme scheme, byte[] key) {
    return switch (scheme) {
      case ED25519 -> ed25519Problem(key);
      case ECDSA_SECP256R1_SHA256 -> p256Problem(key);
      case null -> Optional.of("no signature scheme given");
      default -> Optional.of("signature scheme " + scheme + " is not supported; use ED25519 or ECDSA_SECP256R1_SHA256");
    };
  }

  private static Optional<String> ed25519Problem(byte[] key) {
    if (key.length != ED25519_KEY_BYTES) {
      return Optional.of("an Ed25519 key is 32 bytes, not " + key.length);
    }
    // Full validation: a canonical encoding of a point in the prime-order subgroup, so no small-order keys.
    if (!Ed25519.validatePublicKeyFull(key, 0)) {
      return Optional.of("the 32 bytes are not a valid Ed25519 public key (not a point, or of small order)");
    }
    return Optional.empty();
  }

  private static Optional<String> p256Problem(byte[] key) {
    if (key.length != P256_POINT_BYTES || key[0] != SEC1_UNCOMPRESSED) {
      return Optional.of("a P-256 key is a 65-byte uncompressed SEC1 point starting with 0x04, not "
          + key.length + " bytes starting with 0x" + (key.length == 0 ? "" : HexFormat.of().toHexDigits(key[0])));
    }
    try {
      ECPoint point = P256.getCurve().decodePoint(key);
      if (point.isInfinity() || !point.isValid()) {
        return Optional.of("the P-256 key is not a point on the curve");
      }
    } catch (RuntimeException notOnCurve) {
      // Bouncy Castle rejects coordinates outside the field or off the curve by throwing.
      return Optional.of("the P-256 key is not a point on the curve");
    }
    return Optional.empty();
  }
}
