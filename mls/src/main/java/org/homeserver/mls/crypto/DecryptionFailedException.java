package org.homeserver.mls.crypto;

/**
 * A ciphertext that does not decrypt: it fails to authenticate (a wrong key or damaged bytes), or its
 * HPKE KEM output is not a public key of the suite.
 */
public final class DecryptionFailedException extends Exception {
  public DecryptionFailedException(String message) {
    super(message, null, false, false);
  }
}
