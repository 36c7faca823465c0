package org.homeserver.keypackage;

/**
 * Whether one user may claim another's KeyPackages (the directory's internal API in production).
 * A user's own KeyPackages need no asking; this is for every other user.
 */
public interface ClaimRights {
  /** Why a claim is allowed. */
  enum Grant {
    /** The two users are connected: claims are unlimited. */
    CONNECTED,
    /** The claimer sent the target a pending request whose one claim right is unspent. */
    CLAIM_RIGHT,
    /**
     * The claimer's request is held unseen by a target that blocks it: the claim finds no
     * KeyPackage, as it would for a target with none, and the blocked claimer learns nothing.
     */
    WITHHELD
  }

  /**
   * Why {@code claimerUserId} may claim {@code targetUserId}'s KeyPackages; NOT_CONNECTED (also for
   * unknown users and for blocks outside a held request) or CLAIM_RIGHT_USED as a {@code Refusal} if
   * it may not.
   */
  Grant check(String claimerUserId, String targetUserId);

  /**
   * Spends the claim right of the pending request from the claimer to the target, after a
   * {@link Grant#CLAIM_RIGHT}: of concurrent callers one succeeds, the others fail with
   * CLAIM_RIGHT_USED (or NOT_CONNECTED if the request is gone).
   */
  void spend(String claimerUserId, String targetUserId);
}
