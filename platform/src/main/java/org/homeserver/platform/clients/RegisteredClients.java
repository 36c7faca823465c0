package org.homeserver.platform.clients;

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

/** The clients the auth service registered, as the other services look them up. */
public interface RegisteredClients {
  /** The client with this id, if it is registered. */
  Optional<RegisteredClient> client(String clientId);

  /** The clients of a user of this domain; none for an unknown user. */
  List<RegisteredClient> clientsOf(String userId);

  /** The auth service's internal API behind {@code auth}, each call limited to {@code deadline}. */
  static RegisteredClients of(AuthInternalServiceGrpc.AuthInternalServiceBlockingStub auth, Duration deadline) {
    return new RegisteredClients() {
      @Override
      public Optional<RegisteredClient> client(String clientId) {
        try {
          return Optional.of(stub().getClient(GetClientRequest.newBuilder().setClientId(clientId).build()).getClient());
        } catch (StatusRuntimeException e) {
          return notFound(e, Optional.empty());
        }
      }

      @Override
      public List<RegisteredClient> clientsOf(String userId) {
        try {
          return stub().listUserClients(ListUserClientsRequest.newBuilder().setUserId(userId).build())
              .getClientsList();
        } catch (StatusRuntimeException e) {
          return notFound(e, List.of());
        }
      }

      private AuthInternalServiceGrpc.AuthInternalServiceBlockingStub stub() {
        return auth.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
      }
    };
  }

  /** {@code none} for NOT_FOUND; any other failure goes on. */
  private static <T> T notFound(StatusRuntimeException e, T none) {
    if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
      return none;
    }
    throw e;
  }
}
