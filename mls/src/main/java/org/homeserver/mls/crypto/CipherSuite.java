package org.homeserver.mls.crypto;

import java.util.Arrays;
import java.util.Optional;
import org.bouncycastle.crypto.hpke.HPKE;

/**
 * The cipher suites of RFC 9420 section 17.1 and the primitives each names (section 5.1): the hash
 * with its HMAC and HKDF, the AEAD, the HPKE KEM and the signature scheme.
 */
public enum CipherSuite {
  MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519(1, HpkeKem.DHKEM_X25519_HKDF_SHA256, AeadAlgorithm.AES_128_GCM,
      HashAlgorithm.SHA256, SignatureScheme.ED25519),
  MLS_128_DHKEMP256_AES128GCM_SHA256_P256(2, HpkeKem.DHKEM_P256_HKDF_SHA256, AeadAlgorithm.AES_128_GCM,
      HashAlgorithm.SHA256, SignatureScheme.ECDSA_SECP256R1_SHA256),
  MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519(3, HpkeKem.DHKEM_X25519_HKDF_SHA256,
      AeadAlgorithm.CHACHA20_POLY1305, HashAlgorithm.SHA256, SignatureScheme.ED25519),
  MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448(4, HpkeKem.DHKEM_X448_HKDF_SHA512, AeadAlgorithm.AES_256_GCM,
      HashAlgorithm.SHA512, SignatureScheme.ED448),
  MLS_256_DHKEMP521_AES256GCM_SHA512_P521(5, HpkeKem.DHKEM_P521_HKDF_SHA512, AeadAlgorithm.AES_256_GCM,
      HashAlgorithm.SHA512, SignatureScheme.ECDSA_SECP521R1_SHA512),
  MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448(6, HpkeKem.DHKEM_X448_HKDF_SHA512,
      AeadAlgorithm.CHACHA20_POLY1305, HashAlgorithm.SHA512, SignatureScheme.ED448),
  MLS_256_DHKEMP384_AES256GCM_SHA384_P384(7, HpkeKem.DHKEM_P384_HKDF_SHA384, AeadAlgorithm.AES_256_GCM,
      HashAlgorithm.SHA384, SignatureScheme.ECDSA_SECP384R1_SHA384);

  private final int code;
  private final HpkeKem kem;
  private final AeadAlgorithm aead;
  private final HashAlgorithm hash;
  private final SignatureScheme signatureScheme;

  CipherSuite(int code, HpkeKem kem, AeadAlgorithm aead, HashAlgorithm hash, SignatureScheme signatureScheme) {
    this.code = code;
    this.kem = kem;
    this.aead = aead;
    this.hash = hash;
    this.signatureScheme = signatureScheme;
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
    return kem.publicKeyLength();
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

  /** KDF.Extract: HKDF-Extract (RFC 5869 section 2.2), which is HMAC keyed with the salt. */
  public byte[] extract(byte[] salt, byte[] ikm) {
    return hash.hmac(salt, ikm);
  }

  /** KDF.Expand: HKDF-Expand (RFC 5869 section 2.3) of {@code prk} to {@code length} bytes. */
  public byte[] expand(byte[] prk, byte[] info, int length) {
    return hash.hkdfExpand(prk, info, length);
  }

  /** AEAD.Nk: the length of the suite's AEAD key. */
  public int aeadKeyLength() {
    return aead.keyLength();
  }

  /** AEAD.Nn: the length of the suite's AEAD nonce. */
  public int aeadNonceLength() {
    return aead.nonceLength();
  }

  /** AEAD.Seal: {@code plaintext} encrypted and authenticated with {@code aad}, the tag appended. */
  public byte[] aeadSeal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
    return aead.seal(key, nonce, aad, plaintext);
  }

  /** AEAD.Open: the plaintext of {@code ciphertext}, if it authenticates under the key, nonce and {@code aad}. */
  public byte[] aeadOpen(byte[] key, byte[] nonce, byte[] aad, byte[] ciphertext) throws DecryptionFailedException {
    return aead.open(key, nonce, aad, ciphertext);
  }

  /**
   * The suite's HPKE (RFC 9180) in base mode. A new instance per use: Bouncy Castle's KEM keeps the
   * key agreement it last ran, so an instance is not safe to share between threads.
   */
  HPKE hpke() {
    return new HPKE(HPKE.mode_base, kem.hpkeId(), hash.hkdfHpkeId(), aead.hpkeId());
  }

  /** An HPKE private key as the suite's KEM reads it (see {@link HpkeKem#fullLengthPrivateKey}). */
  byte[] hpkePrivateKey(byte[] privateKey) {
    return kem.fullLengthPrivateKey(privateKey);
  }
}
