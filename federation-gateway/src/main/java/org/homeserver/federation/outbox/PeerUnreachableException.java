package org.homeserver.federation.outbox;

/**
 * A batch that failed as a whole: the peer was not reached, or answered the call itself with an
 * error. The message is what the operator sees (ListPeers' last_error), e.g. "UNAVAILABLE:
 * connection refused".
 */
public final class PeerUnreachableException extends Exception {
  public PeerUnreachableException(String message) {
    super(message);
  }

  public PeerUnreachableException(String message, Throwable cause) {
    super(message, cause);
  }
}
