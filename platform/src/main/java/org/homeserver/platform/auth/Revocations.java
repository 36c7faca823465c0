package org.homeserver.platform.auth;

import java.time.Instant;

/**
 * Which tokens no longer count: every token of a subject (a user uuid or a client uuid) issued at or
 * before the instant it was revoked. Shared by every process through signalling.
 */
public interface Revocations {
  /** From now on, tokens of {@code subject} issued at or before {@code issuedUpTo} are refused. */
  void revoke(String subject, Instant issuedUpTo);

  boolean isRevoked(String subject, Instant issuedAt);
}
