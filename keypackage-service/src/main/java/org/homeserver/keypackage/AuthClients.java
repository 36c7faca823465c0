package org.homeserver.keypackage;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.auth.v1.AuthInternalServiceGrpc;
import org.homeserver.api.auth.v1.GetClientRequest;
import org.homeserver.api.auth.v1.ListUserClientsRequest;
import org.homeserver.api.auth.v1.RegisteredClient;

/** The registered clients, from the auth service's internal API. */
record AuthClients(AuthInternalServiceGrpc.AuthInternalServiceBlockingStub auth, Duration deadline)
    implements RegisteredClients {
  @Override
  public Optional<RegisteredClient> client(String clientId) {
    try {
      return Optional.of(stub().getClient(GetClientRequest.newBuilder().setClientId(clientId).build()).getClient());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  @Override
  public List<RegisteredClient> clientsOf(String userId) {
    try {
      return stub().listUserClients(ListUserClientsRequest.newBuilder().setUserId(userId).build()).getClientsList();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return List.of();
      }
      throw e;
    }
  }

  private AuthInternalServiceGrpc.AuthInternalServiceBlockingStub stub() {
    return auth.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }
}
