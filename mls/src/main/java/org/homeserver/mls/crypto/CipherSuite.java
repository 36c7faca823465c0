package org.homeserver.mls.crypto;

import java.util.Arrays;
import java.util.Optional;

/**
 * The cipher suites of RFC 9420 section 17.1: what a Delivery Service needs of each, namely the hash,
 * the signature scheme and the length of an HPKE public key (init and encryption keys).
 */
public enum CipherSuite {
  MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519(1, HashAlgorithm.SHA256, SignatureScheme.ED25519, 32),
  MLS_128_DHKEMP256_AES128GCM_SHA256_P256(2, HashAlgorithm.SHA256, SignatureScheme.ECDSA_SECP256R1_SHA256, 65),
  MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519(3, HashAlgorithm.SHA256, SignatureScheme.ED25519, 32),
  MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448(4, HashAlgorithm.SHA512, SignatureScheme.ED448, 56),
  MLS_256_DHKEMP521_AES256GCM_SHA512_P521(5, HashAlgorithm.SHA512, SignatureScheme.ECDSA_SECP521R1_SHA512, 133),
  MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448(6, HashAlgorithm.SHA512, SignatureScheme.ED448, 56),
  MLS_256_DHKEMP384_AES256GCM_SHA384_P384(7, HashAlgorithm.SHA384, SignatureScheme.ECDSA_SECP384R1_SHA384, 97);

  private final int code;
  private final HashAlgorithm hash;
  private final SignatureScheme signatureScheme;
  private final int hpkePublicKeyLength;

  CipherSuite(int code, HashAlgorithm hash, SignatureScheme signatureScheme, int hpkePublicKeyLength) {
    this.code = code;
    this.hash = hash;
    this.signatureScheme = signatureScheme;
    this.hpkePublicKeyLength = hpkePublicKeyLength;
  }

  /** The suite with IANA code {@code code}, if it is one of RFC 9420's. */
  public static Optional<CipherSuite> fromCode(int code) {
    return Arrays.stream(values()).filter(s -> s.code == code).findFirst();
  }

  /** The IANA MLS cipher suite code, 1 to 7. */
  public int code() {
    return code;
  }

  public SignatureScheme signatureScheme() {
    return signatureScheme;
  }

  /** The length of the suite's HPKE KEM public key (Npk), which init and encryption keys must have. */
  public int hpkePublicKeyLength() {
    return hpkePublicKeyLength;
  }

  /** The suite's hash output length (Nh), which is also the length of a KeyPackageRef or ProposalRef. */
  public int hashLength() {
    return hash.length();
  }

  /** The suite's hash of {@code input}. */
  public byte[] hash(byte[] input) {
    return hash.hash(input);
  }

  /** The suite's MAC (RFC 9420 section 5.1): HMAC over the suite's hash, Nh bytes. */
  public byte[] mac(byte[] key, byte[] input) {
    return hash.hmac(key, input);
  }
}
