package org.homeserver.directory;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.auth.v1.AuthInternalServiceGrpc;
import org.homeserver.api.auth.v1.DeleteUserRequest;
import org.homeserver.api.auth.v1.FindUsersByPrefixRequest;
import org.homeserver.api.auth.v1.ListUserClientsRequest;
import org.homeserver.api.auth.v1.ListUserClientsResponse;
import org.homeserver.api.auth.v1.RegisteredClient;
import org.homeserver.api.auth.v1.VerifyPasswordRequest;
import org.homeserver.api.delivery.v1.DeliverEventRequest;
import org.homeserver.api.delivery.v1.DeliveryInternalServiceGrpc;
import org.homeserver.api.delivery.v1.ListGroupPeersRequest;
import org.homeserver.api.delivery.v1.PurgeClientsRequest;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.directory.v1.Profile;
import org.homeserver.api.federation.v1.DeliverConnectionRequestRequest;
import org.homeserver.api.federation.v1.DeliverConnectionUpdateRequest;
import org.homeserver.api.federation.v1.DiscoverRemoteUserRequest;
import org.homeserver.api.federation.v1.EnqueueRequest;
import org.homeserver.api.federation.v1.FederationInternalServiceGrpc;
import org.homeserver.api.federation.v1.SendConnectionRequestRequest;
import org.homeserver.api.keypackage.v1.KeyPackageInternalServiceGrpc;
import org.homeserver.api.notifier.v1.NotifierInternalServiceGrpc;
import org.homeserver.api.keypackage.v1.PurgeKeyPackagesRequest;
import org.homeserver.platform.ServiceContext;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.grpc.ForbiddenDomains;
import org.homeserver.platform.grpc.ServiceModule;
import org.homeserver.platform.grpc.ServiceParts;
import org.homeserver.platform.ids.UserId;
import org.homeserver.platform.ratelimit.RateLimiter;

/** The composition root of the directory service: builds it from the process's context. */
public final class DirectoryModule {
  public static final String NAME = "directory";
  /** Directory requests are small. */
  private static final long MAX_REQUEST_BYTES = 64 * 1024;
  /** Calls to the other services' internal APIs give up after this long. */
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  /** How often expired idempotency records (all of them peers', kept 7 days) are deleted. */
  private static final Duration CLEANUP_INTERVAL = Duration.ofMinutes(10);

  private DirectoryModule() {}

  /** Migrates the directory schema and builds the services. */
  public static ServiceModule start(ServiceContext context) {
    DirectorySettings settings = context.config().settings(DirectorySettings.SECTION);
    ServiceDatabase database = context.openDatabase(NAME);
    try {
      DirectoryStore store = new DirectoryStore(database.transactions());
      Accounts accounts = new AuthAccounts(AuthInternalServiceGrpc.newBlockingStub(context.channels().channel("auth")),
          context.domain());
      Notices notices = new DeliveryNotices(
          DeliveryInternalServiceGrpc.newBlockingStub(context.channels().channel("delivery")));
      Peers peers = new GatewayPeers(
          FederationInternalServiceGrpc.newBlockingStub(context.channels().channel("federation")));
      Connections connections = new Connections(store, accounts, notices, peers, context.domain(), context.clock());
      PeerConnections peerConnections = new PeerConnections(store, connections, notices, context.domain(),
          context.clock());
      Profiles profiles = new Profiles(store, notices, peers, context.clock());
      AccountDeletion deletion = new AccountDeletion(store, accounts, notices, new ServicePurger(
          KeyPackageInternalServiceGrpc.newBlockingStub(context.channels().channel("keypackage")),
          DeliveryInternalServiceGrpc.newBlockingStub(context.channels().channel("delivery")),
          NotifierInternalServiceGrpc.newBlockingStub(context.channels().channel("notifier"))), context.domain());
      RateLimiter lookups = RateLimiter.of(context.redis(), "directory-lookup",
          settings.lookupsPerMinute(), Duration.ofMinutes(1), context.clock());
      return new ServiceParts(NAME, List.of(new DirectoryGrpcService(profiles, connections, deletion, lookups,
              settings.prefixSearch() ? Optional.of(accounts) : Optional.empty())),
          Set.of(), MAX_REQUEST_BYTES, List.of(new DirectoryInternalGrpcService(connections, deletion,
              peerConnections, profiles, context.domain())), List.of(),
          List.of(context.tasks().every("directory-cleanup", CLEANUP_INTERVAL, () ->
              store.deleteIdempotencyRecordsBefore(context.clock().instant().minus(IdempotentRequest.PEER_WINDOW)))),
          List.of(database));
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
  }

  /** Users as the auth service knows them. */
  private record AuthAccounts(AuthInternalServiceGrpc.AuthInternalServiceBlockingStub auth, String domain)
      implements Accounts {
    @Override
    public Optional<Account> find(String userId) {
      if (UserId.parse(userId).filter(id -> id.domain().equals(domain)).isEmpty()) {
        return Optional.empty();
      }
      try {
        ListUserClientsResponse user = auth.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .listUserClients(ListUserClientsRequest.newBuilder().setUserId(userId).build());
        return Optional.of(new Account(userId, user.getSuspended(),
            user.getClientsList().stream().map(RegisteredClient::getClientId).toList()));
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
          return Optional.empty();
        }
        throw e;
      }
    }

    @Override
    public List<String> withPrefix(String prefix, int limit) {
      return auth.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS).findUsersByPrefix(
          FindUsersByPrefixRequest.newBuilder().setHandlePrefix(prefix).setLimit(limit).build()).getUserIdsList();
    }

    @Override
    public void verifyPassword(Principal caller, String password, String address) {
      auth.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .verifyPassword(VerifyPasswordRequest.newBuilder().setUserId(caller.userId()).setPassword(password)
              .setCallerUserUuid(caller.userUuid().toString()).setCallerClientUuid(caller.clientUuid().toString())
              .setCallerAddress(address).build());
    }

    @Override
    public void delete(String userId) {
      try {
        auth.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .deleteUser(DeleteUserRequest.newBuilder().setUserId(userId).build());
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
          throw e;
        }
      }
    }
  }

  /** Other homeservers through the federation gateway's internal API; a peer's refusal passes through. */
  private record GatewayPeers(FederationInternalServiceGrpc.FederationInternalServiceBlockingStub federation)
      implements Peers {
    @Override
    public Profile discover(String destination, String query, String requester) {
      return stub().discoverRemoteUser(DiscoverRemoteUserRequest.newBuilder().setDestination(destination)
          .setRequest(org.homeserver.api.federation.v1.DiscoverUserRequest.newBuilder().setQuery(query)
              .setRequesterUserId(requester)).build()).getProfile();
    }

    @Override
    public void sendRequest(String destination, DeliverConnectionRequestRequest request) {
      stub().sendConnectionRequest(SendConnectionRequestRequest.newBuilder().setDestination(destination)
          .setRequest(request).build());
    }

    @Override
    public void enqueueUpdate(String destination, DeliverConnectionUpdateRequest update) {
      ForbiddenDomains.skipIfForbidden(destination, "a connection update", () ->
          stub().enqueue(EnqueueRequest.newBuilder().setDestination(destination).setConnectionUpdate(update).build()));
    }

    private FederationInternalServiceGrpc.FederationInternalServiceBlockingStub stub() {
      return federation.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Purges through the keypackage, delivery and notifier services' internal APIs. */
  private record ServicePurger(KeyPackageInternalServiceGrpc.KeyPackageInternalServiceBlockingStub keyPackages,
                               DeliveryInternalServiceGrpc.DeliveryInternalServiceBlockingStub delivery,
                               NotifierInternalServiceGrpc.NotifierInternalServiceBlockingStub notifier)
      implements Purger {
    @Override
    public void purge(String userId) {
      keyPackages.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .purgeKeyPackages(PurgeKeyPackagesRequest.newBuilder().setUserId(userId).build());
      delivery.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .purgeClients(PurgeClientsRequest.newBuilder().setUserId(userId).build());
      notifier.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .purgeClients(org.homeserver.api.notifier.v1.PurgeClientsRequest.newBuilder().setUserId(userId).build());
    }
  }

  /** Events through the delivery service's internal API. */
  private record DeliveryNotices(DeliveryInternalServiceGrpc.DeliveryInternalServiceBlockingStub delivery)
      implements Notices {
    @Override
    public void tell(List<String> userIds, String excludedClient, ServerEvent event, String idempotencyKey) {
      if (userIds.isEmpty()) {
        return;
      }
      DeliverEventRequest.Builder request = DeliverEventRequest.newBuilder().addAllUserIds(userIds).setEvent(event)
          .setIdempotencyKey(idempotencyKey);
      if (!excludedClient.isEmpty()) {
        request.addExcludeClientIds(excludedClient);
      }
      stub().deliverEvent(request.build());
    }

    @Override
    public List<String> groupPeers(String userId) {
      return stub().listGroupPeers(ListGroupPeersRequest.newBuilder().setUserId(userId).build()).getUserIdsList();
    }

    private DeliveryInternalServiceGrpc.DeliveryInternalServiceBlockingStub stub() {
      return delivery.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }
  }
}
