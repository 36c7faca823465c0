package org.homeserver.platform.ids;

import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.platform.errors.Refusal;

/**
 * The two id rules of every inbound federated call (federation.proto PEERS): ids of the acting
 * user must be of the calling peer's domain, ids of the users acted upon of this one.
 */
public final class PeerIds {
  private PeerIds() {}

  /** PERMISSION_DENIED / PEER_DOMAIN_MISMATCH unless {@code userId} is a user id of {@code peer}'s domain. */
  public static void requireActing(String peer, String userId, String field) {
    if (!isUserOf(peer, userId)) {
      throw Refusal.ofField(ErrorReason.PEER_DOMAIN_MISMATCH, field, "not a user of the calling domain " + peer);
    }
  }

  /** INVALID_ARGUMENT / DOMAIN_NOT_LOCAL unless {@code userId} is a user id of {@code domain}, this homeserver's. */
  public static void requireLocal(String domain, String userId, String field) {
    if (!isUserOf(domain, userId)) {
      throw Refusal.ofField(ErrorReason.DOMAIN_NOT_LOCAL, field, userId + " is not a user of " + domain);
    }
  }

  /** INVALID_ARGUMENT / DOMAIN_NOT_LOCAL unless {@code clientId} is a client id of {@code domain}. */
  public static void requireLocalClient(String domain, String clientId, String field) {
    if (ClientIdentity.parseClientId(clientId).filter(c -> c.domain().equals(domain)).isEmpty()) {
      throw Refusal.ofField(ErrorReason.DOMAIN_NOT_LOCAL, field, clientId + " is not a client of " + domain);
    }
  }

  private static boolean isUserOf(String domain, String userId) {
    return UserId.parse(userId).filter(id -> id.domain().equals(domain) && id.toString().equals(userId)).isPresent();
  }
}
