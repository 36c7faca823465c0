package org.homeserver.auth;

import java.math.BigInteger;
import java.security.SecureRandom;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.mls.crypto.LabeledSignatures;

/** A client's MLS signature key pair, as tests need one: raw keys, RFC 9420 SignWithLabel. */
public record TestSigningKey(SignatureScheme scheme, byte[] privateKey, SignatureKey signatureKey) {
  /** The order of the P-256 group: private scalars lie in 1..n-1. */
  private static final BigInteger P256_ORDER =
      new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);

  /** A fresh random key of {@code scheme} (Ed25519 or P-256). */
  public static TestSigningKey generate(SignatureScheme scheme) {
    SecureRandom random = new SecureRandom();
    byte[] privateKey = switch (scheme) {
      case ED25519 -> {
        byte[] seed = new byte[32];
        random.nextBytes(seed);
        yield seed;
      }
      case ECDSA_SECP256R1_SHA256 -> {
        BigInteger d = new BigInteger(256, random).mod(P256_ORDER.subtract(BigInteger.ONE)).add(BigInteger.ONE);
        byte[] raw = d.toByteArray();
        byte[] scalar = new byte[32];
        System.arraycopy(raw, Math.max(0, raw.length - 32), scalar, Math.max(0, 32 - raw.length), Math.min(32, raw.length));
        yield scalar;
      }
      default -> throw new IllegalArgumentException("no test keys for " + scheme);
    };
    byte[] publicKey = mls(scheme).publicKeyOf(privateKey);
    return new TestSigningKey(scheme, privateKey, new SignatureKey(scheme, publicKey));
  }

  /** SignWithLabel: Ed25519 gives 64 raw bytes, ECDSA (deterministic, RFC 6979) a DER signature. */
  public byte[] signWithLabel(String label, byte[] content) {
    return LabeledSignatures.signWithLabel(mls(scheme), privateKey, label, content);
  }

  private static org.homeserver.mls.crypto.SignatureScheme mls(SignatureScheme scheme) {
    return org.homeserver.mls.crypto.SignatureScheme.fromCode(scheme.getNumber()).orElseThrow();
  }
}
