package org.homeserver.mls.crypto;

/**
 * A public key already checked to be valid for its scheme: verifying many signatures with it does
 * not repeat the (for EdDSA, costly) key check.
 */
@FunctionalInterface
public interface VerificationKey {
  /** Whether {@code signature} signs {@code message}; false, never an exception, if it is malformed. */
  boolean verify(byte[] message, byte[] signature);
}
