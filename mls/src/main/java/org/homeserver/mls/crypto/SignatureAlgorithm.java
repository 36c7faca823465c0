package org.homeserver.mls.crypto;

/** What a signature scheme does with raw MLS keys; the {@link SignatureScheme} constants delegate here. */
sealed interface SignatureAlgorithm permits EdDsaSignatures, EcdsaSignatures {
  /** The key, if {@code raw} is a valid public key of this algorithm in MLS's encoding. */
  java.util.Optional<VerificationKey> publicKey(byte[] raw);

  /** Throws IllegalArgumentException for a private key that is not one of this algorithm's. */
  byte[] sign(byte[] privateKey, byte[] message);

  byte[] publicKeyOf(byte[] privateKey);
}
