package org.homeserver.platform.db;

/**
 * The connection failed while a transaction was committing: it may or may not have taken effect.
 * Never retried inside the server; the caller's retry under the same idempotency key settles it
 * (it gets the first answer if the commit happened, or the work is done now if it did not).
 */
public final class CommitOutcomeUnknownException extends RuntimeException {
  public CommitOutcomeUnknownException(Throwable cause) {
    super("the connection failed while committing; the outcome is unknown", cause);
  }
}
