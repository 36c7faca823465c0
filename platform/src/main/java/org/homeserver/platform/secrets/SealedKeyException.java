package org.homeserver.platform.secrets;

/**
 * A stored private key this process cannot open: sealed under a key-encryption key it was not
 * given, altered, moved from another row, or written in a format it does not know. The message says
 * which and what the operator can do.
 */
public final class SealedKeyException extends RuntimeException {
  public SealedKeyException(String message) {
    super(message);
  }

  public SealedKeyException(String message, Throwable cause) {
    super(message, cause);
  }
}
