package org.homeserver.delivery;

import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
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

  /** The users the members' clients belong to. */
  static Set<String> usersOf(MemberMap members) {
    return members.members().stream().flatMap(m -> ClientIdentity.parseClientId(m.clientId()).stream())
        .map(ClientIdentity::userId).collect(Collectors.toSet());
  }
}
