package org.homeserver.mls.crypto;

import java.math.BigInteger;
import java.util.Optional;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.DSADigestSigner;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

/**
 * ECDSA over a NIST curve as MLS uses it: uncompressed SEC1 public keys, big-endian fixed-length
 * private scalars, DER signatures, and deterministic signing (RFC 6979).
 */
final class EcdsaSignatures implements SignatureAlgorithm {
  static final EcdsaSignatures P256 = new EcdsaSignatures("P-256", "secp256r1", HashAlgorithm.SHA256);
  static final EcdsaSignatures P384 = new EcdsaSignatures("P-384", "secp384r1", HashAlgorithm.SHA384);
  static final EcdsaSignatures P521 = new EcdsaSignatures("P-521", "secp521r1", HashAlgorithm.SHA512);

  private static final byte SEC1_UNCOMPRESSED = 0x04;

  private final String name;
  private final ECDomainParameters domain;
  private final HashAlgorithm hash;
  private final int publicKeyLength;
  private final int privateKeyLength;

  private EcdsaSignatures(String name, String curve, HashAlgorithm hash) {
    this.name = name;
    this.domain = new ECDomainParameters(CustomNamedCurves.getByName(curve));
    this.hash = hash;
    this.publicKeyLength = 1 + 2 * ((domain.getCurve().getFieldSize() + 7) / 8);
    this.privateKeyLength = (domain.getN().bitLength() + 7) / 8;
  }

  @Override
  public Optional<VerificationKey> publicKey(byte[] raw) {
    return point(raw).map(key -> (message, signature) -> {
      DSADigestSigner verifier = new DSADigestSigner(new ECDSASigner(), hash.newDigest());
      verifier.init(false, key);
      verifier.update(message, 0, message.length);
      // Returns false for anything but strict DER of two integers in [1, n-1]: the standard encoding
      // re-encodes what it decoded and requires the same bytes, so trailing or padded bytes fail too.
      return verifier.verifySignature(signature);
    });
  }

  @Override
  public byte[] sign(byte[] privateKey, byte[] message) {
    DSADigestSigner signer =
        new DSADigestSigner(new ECDSASigner(new HMacDSAKCalculator(hash.newDigest())), hash.newDigest());
    signer.init(true, new ECPrivateKeyParameters(scalar(privateKey), domain));
    signer.update(message, 0, message.length);
    return signer.generateSignature();
  }

  @Override
  public byte[] publicKeyOf(byte[] privateKey) {
    return new FixedPointCombMultiplier().multiply(domain.getG(), scalar(privateKey)).getEncoded(false);
  }

  // Only the uncompressed form is MLS's encoding; a compressed point is refused, not decompressed.
  private Optional<ECPublicKeyParameters> point(byte[] raw) {
    if (raw.length != publicKeyLength || raw[0] != SEC1_UNCOMPRESSED) {
      return Optional.empty();
    }
    try {
      // Decoding refuses coordinates outside the field and points off the curve; the key
      // parameters refuse infinity and points outside the prime-order group.
      ECPoint point = domain.getCurve().decodePoint(raw);
      return Optional.of(new ECPublicKeyParameters(point, domain));
    } catch (IllegalArgumentException notAPoint) {
      return Optional.empty();
    }
  }

  private BigInteger scalar(byte[] privateKey) {
    if (privateKey.length != privateKeyLength) {
      throw new IllegalArgumentException(
          "a " + name + " private key is a " + privateKeyLength + "-byte scalar, not " + privateKey.length + " bytes");
    }
    BigInteger d = new BigInteger(1, privateKey);
    if (d.signum() == 0 || d.compareTo(domain.getN()) >= 0) {
      throw new IllegalArgumentException("the " + name + " private scalar is not between 1 and the group order");
    }
    return d;
  }
}
