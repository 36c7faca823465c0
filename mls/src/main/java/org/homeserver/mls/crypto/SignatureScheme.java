package org.homeserver.mls.crypto;

import java.util.Arrays;
import java.util.Optional;

/**
 * The signature schemes of the MLS cipher suites (IANA TLS SignatureScheme code points), over raw
 * keys as MLS carries them: Ed25519 and Ed448 points and seeds, uncompressed SEC1 points and
 * big-endian scalars for ECDSA, whose signatures are DER.
 */
public enum SignatureScheme {
  ECDSA_SECP256R1_SHA256(0x0403, EcdsaSignatures.P256),
  ECDSA_SECP384R1_SHA384(0x0503, EcdsaSignatures.P384),
  ECDSA_SECP521R1_SHA512(0x0603, EcdsaSignatures.P521),
  ED25519(0x0807, EdDsaSignatures.ED25519),
  ED448(0x0808, EdDsaSignatures.ED448);

  private final int code;
  private final SignatureAlgorithm algorithm;

  SignatureScheme(int code, SignatureAlgorithm algorithm) {
    this.code = code;
    this.algorithm = algorithm;
  }

  /** The scheme with IANA code point {@code code}, if MLS uses it. */
  public static Optional<SignatureScheme> fromCode(int code) {
    return Arrays.stream(values()).filter(s -> s.code == code).findFirst();
  }

  /** The IANA TLS SignatureScheme code point. */
  public int code() {
    return code;
  }

  /**
   * Whether {@code raw} is a public key of this scheme in MLS's encoding: for EdDSA a canonical
   * point of prime order (no small-order keys), for ECDSA an uncompressed point on the curve.
   */
  public boolean isValidPublicKey(byte[] raw) {
    return publicKey(raw).isPresent();
  }

  /** The checked key, to verify several signatures without checking it again; empty if invalid. */
  public Optional<VerificationKey> publicKey(byte[] raw) {
    return algorithm.publicKey(raw);
  }

  /**
   * Whether {@code signature} signs {@code message} under {@code publicKey}. An invalid key or a
   * malformed signature (for ECDSA, anything but strict DER) is false, never an exception.
   */
  public boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
    return publicKey(publicKey).map(key -> key.verify(message, signature)).orElse(false);
  }

  /**
   * Signs {@code message}; ECDSA signing is deterministic (RFC 6979). Throws
   * IllegalArgumentException if {@code privateKey} is not a private key of this scheme.
   */
  public byte[] sign(byte[] privateKey, byte[] message) {
    return algorithm.sign(privateKey, message);
  }

  /** The public key that belongs to {@code privateKey}, in MLS's encoding. */
  public byte[] publicKeyOf(byte[] privateKey) {
    return algorithm.publicKeyOf(privateKey);
  }
}
