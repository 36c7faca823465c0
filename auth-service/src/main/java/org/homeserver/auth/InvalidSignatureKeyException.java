package org.homeserver.auth;

/** A client's signature key is not a valid key of its scheme, or the scheme is not supported. */
public final class InvalidSignatureKeyException extends Exception {
  public InvalidSignatureKeyException(String message) {
    super(message);
  }
}
