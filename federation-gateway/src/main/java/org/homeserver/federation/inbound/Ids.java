package org.homeserver.federation.inbound;

import org.homeserver.platform.ids.UserId;

/** Checks of the ids a peer names. */
final class Ids {
  private Ids() {}

  /** Whether {@code userId} is a canonical user id of {@code domain}. */
  static boolean ofDomain(String userId, String domain) {
    return UserId.parse(userId).filter(u -> u.toString().equals(userId) && u.domain().equals(domain)).isPresent();
  }
}
