package org.homeserver.platform.auth;

import io.grpc.Context;
import java.time.Instant;
import java.util.UUID;

/** The authenticated client of the current call, as its verified access token names it. */
public record Principal(String userId, UUID userUuid, String clientId, UUID clientUuid, String tokenId,
                        Instant issuedAt, Instant expiresAt) {
  static final Context.Key<Principal> CONTEXT_KEY = Context.key("principal");

  /** The principal of the current authenticated call. */
  public static Principal current() {
    Principal principal = CONTEXT_KEY.get();
    if (principal == null) {
      throw new IllegalStateException("no authenticated principal: is this RPC marked public by mistake?");
    }
    return principal;
  }

  /** The principal of the current call, if it presented a valid token (public RPCs may or may not). */
  public static java.util.Optional<Principal> ifPresent() {
    return java.util.Optional.ofNullable(CONTEXT_KEY.get());
  }

  /**
   * Whether the token is revoked now: its user or client was deleted or suspended after it was
   * issued. Checked at each call, and again by streams that outlive the check.
   */
  public boolean revokedIn(Revocations revocations) {
    return revocations.isRevoked(userUuid.toString(), issuedAt) || revocations.isRevoked(clientUuid.toString(), issuedAt);
  }

  /** Runs code as {@code principal}; for handlers that continue on other threads, and tests. */
  public Context attach(Context context) {
    return context.withValue(CONTEXT_KEY, this);
  }
}
