package org.homeserver.auth;

import java.math.BigInteger;
import java.security.SecureRandom;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.crypto.CryptoException;
import org.bouncycastle.crypto.Signer;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.DSADigestSigner;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.homeserver.api.common.v1.SignatureScheme;

/** A client's MLS signature private key, as tests need one: RFC 9420 SignWithLabel. */
public record TestSigningKey(SignatureScheme scheme, AsymmetricKeyParameter privateKey, SignatureKey signatureKey) {
  private static final ECDomainParameters P256 = ECNamedDomainParameters.lookup(SECObjectIdentifiers.secp256r1);

  /** A fresh random key of {@code scheme}. */
  public static TestSigningKey generate(SignatureScheme scheme) {
    var random = new SecureRandom();
    return switch (scheme) {
      case ED25519 -> ed25519(new Ed25519PrivateKeyParameters(random));
      case ECDSA_SECP256R1_SHA256 -> p256(new BigInteger(256, random).mod(P256.getN().subtract(BigInteger.TWO))
          .add(BigInteger.ONE));
      default -> throw new IllegalArgumentException("no test keys for " + scheme);
    };
  }

  /** The key whose private part is {@code raw}: an Ed25519 seed or a big-endian P-256 scalar. */
  public static TestSigningKey fromPrivate(SignatureScheme scheme, byte[] raw) {
    return switch (scheme) {
      case ED25519 -> ed25519(new Ed25519PrivateKeyParameters(raw));
      case ECDSA_SECP256R1_SHA256 -> p256(new BigInteger(1, raw));
      default -> throw new IllegalArgumentException("no test keys for " + scheme);
    };
  }

  /** SignWithLabel: Ed25519 gives 64 raw bytes, ECDSA (deterministic, RFC 6979) a DER signature. */
  public byte[] signWithLabel(String label, byte[] content) {
    Signer signer = switch (scheme) {
      case ED25519 -> new Ed25519Signer();
      default -> new DSADigestSigner(new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest())), new SHA256Digest());
    };
    signer.init(true, privateKey);
    byte[] signed = SignContent.withLabel(label, content);
    signer.update(signed, 0, signed.length);
    try {
      return signer.generateSignature();
    } catch (CryptoException e) {
      throw new IllegalStateException(e);
    }
  }

  private static TestSigningKey ed25519(Ed25519PrivateKeyParameters key) {
    return new TestSigningKey(SignatureScheme.ED25519, key,
        new SignatureKey(SignatureScheme.ED25519, key.generatePublicKey().getEncoded()));
  }

  private static TestSigningKey p256(BigInteger scalar) {
    byte[] point = P256.getG().multiply(scalar).normalize().getEncoded(false);
    return new TestSigningKey(SignatureScheme.ECDSA_SECP256R1_SHA256, new ECPrivateKeyParameters(scalar, P256),
        new SignatureKey(SignatureScheme.ECDSA_SECP256R1_SHA256, point));
  }
}
