package org.homeserver.auth;

/** The stored AS certificates and keys cannot be loaded, or do not belong together. */
public final class InvalidStoredAuthorityException extends Exception {
  public InvalidStoredAuthorityException(String message) {
    super(message);
  }

  public InvalidStoredAuthorityException(String message, Throwable cause) {
    super(message, cause);
  }
}
