package org.homeserver.mls.crypto;

/** The DH-based KEMs of the MLS cipher suites (RFC 9180 section 7.1): HPKE identifier and public key length. */
enum HpkeKem {
  DHKEM_P256_HKDF_SHA256(0x0010, 65, 32, true),
  DHKEM_P384_HKDF_SHA384(0x0011, 97, 48, true),
  DHKEM_P521_HKDF_SHA512(0x0012, 133, 66, true),
  DHKEM_X25519_HKDF_SHA256(0x0020, 32, 32, false),
  DHKEM_X448_HKDF_SHA512(0x0021, 56, 56, false);

  private final short hpkeId;
  private final int publicKeyLength;
  private final int privateKeyLength;
  private final boolean scalarPrivateKey;

  HpkeKem(int hpkeId, int publicKeyLength, int privateKeyLength, boolean scalarPrivateKey) {
    this.hpkeId = (short) hpkeId;
    this.publicKeyLength = publicKeyLength;
    this.privateKeyLength = privateKeyLength;
    this.scalarPrivateKey = scalarPrivateKey;
  }

  short hpkeId() {
    return hpkeId;
  }

  /** Npk: an encoded public key's length, uncompressed SEC1 for the NIST curves. */
  int publicKeyLength() {
    return publicKeyLength;
  }

  /**
   * {@code privateKey} as Nsk bytes. A NIST-curve scalar may come shorter, without its leading zero
   * bytes (some implementations write it so, the working group's P-521 vectors among them), and is
   * padded; anything else is returned as it is, for the KEM to accept or refuse.
   */
  byte[] fullLengthPrivateKey(byte[] privateKey) {
    if (!scalarPrivateKey || privateKey.length >= privateKeyLength) {
      return privateKey;
    }
    byte[] padded = new byte[privateKeyLength];
    System.arraycopy(privateKey, 0, padded, privateKeyLength - privateKey.length, privateKey.length);
    return padded;
  }
}
