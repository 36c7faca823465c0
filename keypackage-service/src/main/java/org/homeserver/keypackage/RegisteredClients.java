package org.homeserver.keypackage;

import java.util.List;
import java.util.Optional;
import org.homeserver.api.auth.v1.RegisteredClient;

/** The clients the auth service registered (its internal API in production). */
public interface RegisteredClients {
  /** The client with this id, if it is registered. */
  Optional<RegisteredClient> client(String clientId);

  /** The clients of a user of this domain; none for an unknown user. */
  List<RegisteredClient> clientsOf(String userId);
}
