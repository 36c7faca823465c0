package org.homeserver.delivery;

/** A commit whose membership changes RFC 9420 does not allow: the commit must be refused as a whole. */
public final class MembershipException extends Exception {

  /** Why the commit was refused; the API layer maps each to its error. */
  public enum Reason {
    /** A Remove names a blank leaf or a leaf beyond the tree. */
    LEAF_NOT_OCCUPIED,
    /** An Add or an external join names a client that already has a leaf. */
    ALREADY_MEMBER,
    /** A proposal by reference that was not accepted in this epoch. */
    UNKNOWN_PROPOSAL,
    /** A proposal list RFC 9420 sections 12.2 and 12.4.3.2 call invalid, or a sender that may not commit. */
    INVALID_PROPOSAL_LIST
  }

  private final Reason reason;

  public MembershipException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
