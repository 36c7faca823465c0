package org.homeserver.mls.crypto;

/** What a signature scheme does with raw MLS keys; the {@link SignatureScheme} constants delegate here. */
sealed interface SignatureAlgorithm permits EdDsaSignatures, EcdsaSignatures {
  boolean isValidPublicKey(byte[] raw);

  /** False, never an exception, for a key or signature that is malformed. */
  boolean verify(byte[] publicKey, byte[] message, byte[] signature);

  /** Throws IllegalArgumentException for a private key that is not one of this algorithm's. */
  byte[] sign(byte[] privateKey, byte[] message);

  byte[] publicKeyOf(byte[] privateKey);
}
