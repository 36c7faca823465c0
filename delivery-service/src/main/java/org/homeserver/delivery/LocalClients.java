package org.homeserver.delivery;

import java.util.Optional;
import java.util.UUID;
import org.homeserver.platform.ids.ClientIdentity;

/**
 * Which member client ids are clients of this domain, whose queues are here (clients of other
 * domains are reached through federation), and which belong to a given user.
 */
public record LocalClients(String domain) {

  /** The queue (client uuid) of {@code clientId} if it is a client of this domain. */
  public Optional<UUID> queueOf(String clientId) {
    return ClientIdentity.parseClientId(clientId).filter(c -> c.domain().equals(domain))
        .map(ClientIdentity::clientUuid);
  }

  /** Whether one of the group's members is a client of {@code userId}. */
  static boolean hasClientOf(MemberMap members, String userId) {
    return members.members().stream().anyMatch(m -> ClientIdentity.parseClientId(m.clientId())
        .map(ClientIdentity::userId).filter(userId::equals).isPresent());
  }
}
