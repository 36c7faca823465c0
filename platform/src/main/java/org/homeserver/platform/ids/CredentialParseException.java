package org.homeserver.platform.ids;

/** A client certificate does not name a client in the homeserver's id forms; the message says how. */
public final class CredentialParseException extends Exception {
  public CredentialParseException(String message) {
    super(message);
  }

  public CredentialParseException(String message, Throwable cause) {
    super(message, cause);
  }
}
