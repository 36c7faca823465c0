package org.homeserver.mls.crypto;

import org.homeserver.mls.codec.MlsWriter;

/**
 * The labeled key derivations of RFC 9420: ExpandWithLabel and DeriveSecret (section 8), which every
 * secret of the key schedule comes from, and DeriveTreeSecret (section 9.1) of the secret tree.
 */
public final class KeyDerivation {
  private static final byte[] EMPTY = new byte[0];

  private KeyDerivation() {}

  /**
   * {@code KDF.Expand(secret, KDFLabel, length)} with
   * {@code KDFLabel = uint16(length) || opaque("MLS 1.0 " + label) || opaque(context)}.
   */
  public static byte[] expandWithLabel(CipherSuite suite, byte[] secret, String label, byte[] context, int length) {
    byte[] kdfLabel = new MlsWriter()
        .u16(length)
        .opaque(Labels.prefixed(label))
        .opaque(context)
        .toByteArray();
    return suite.expand(secret, kdfLabel, length);
  }

  /** {@code ExpandWithLabel(secret, label, "", KDF.Nh)}. */
  public static byte[] deriveSecret(CipherSuite suite, byte[] secret, String label) {
    return expandWithLabel(suite, secret, label, EMPTY, suite.hashLength());
  }

  /** {@code ExpandWithLabel(secret, label, uint32(generation), length)}: a ratchet's key or nonce. */
  public static byte[] deriveTreeSecret(CipherSuite suite, byte[] secret, String label, long generation, int length) {
    return expandWithLabel(suite, secret, label, new MlsWriter().u32(generation).toByteArray(), length);
  }
}
