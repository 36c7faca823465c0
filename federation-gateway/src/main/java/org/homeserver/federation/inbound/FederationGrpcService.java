package org.homeserver.federation.inbound;

import static org.homeserver.platform.grpc.Replies.reply;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.List;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.AcceptEventRequest;
import org.homeserver.api.delivery.v1.AcceptGroupMessageRequest;
import org.homeserver.api.delivery.v1.AcceptWelcomeRequest;
import org.homeserver.api.delivery.v1.ApplyRelayedOperationRequest;
import org.homeserver.api.delivery.v1.FetchGroupMessagesForPeerRequest;
import org.homeserver.api.directory.v1.DeleteUserDataRequest;
import org.homeserver.api.directory.v1.LookupUserRequest;
import org.homeserver.api.directory.v1.ReceiveConnectionRequestRequest;
import org.homeserver.api.directory.v1.ReceiveConnectionUpdateRequest;
import org.homeserver.api.federation.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.federation.v1.ClaimKeyPackagesResponse;
import org.homeserver.api.federation.v1.DeliverBatchRequest;
import org.homeserver.api.federation.v1.DeliverBatchResponse;
import org.homeserver.api.federation.v1.DeliverConnectionRequestRequest;
import org.homeserver.api.federation.v1.DeliverConnectionRequestResponse;
import org.homeserver.api.federation.v1.DeliverEventRequest;
import org.homeserver.api.federation.v1.Delivery;
import org.homeserver.api.federation.v1.DeliveryResult;
import org.homeserver.api.federation.v1.DiscoverUserRequest;
import org.homeserver.api.federation.v1.DiscoverUserResponse;
import org.homeserver.api.federation.v1.ExchangeCapabilitiesRequest;
import org.homeserver.api.federation.v1.ExchangeCapabilitiesResponse;
import org.homeserver.api.federation.v1.FederationServiceGrpc;
import org.homeserver.api.federation.v1.FetchGroupMessagesRequest;
import org.homeserver.api.federation.v1.FetchGroupMessagesResponse;
import org.homeserver.api.federation.v1.RelayGroupOperationRequest;
import org.homeserver.api.federation.v1.RelayGroupOperationResponse;
import org.homeserver.api.federation.v1.GetAuthenticationRootsRequest;
import org.homeserver.api.federation.v1.GetAuthenticationRootsResponse;
import org.homeserver.api.federation.v1.GetFederationKeysRequest;
import org.homeserver.api.federation.v1.GetFederationKeysResponse;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesForPeerRequest;
import org.homeserver.federation.Retries;
import org.homeserver.federation.outbox.OutboxStore;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.ErrorMappingInterceptor;
import org.homeserver.platform.grpc.ErrorStatus;
import org.homeserver.platform.ids.PeerIds;
import org.homeserver.platform.ratelimit.RateLimiter;
import org.homeserver.platform.ratelimit.RateLimits;

/**
 * The federation API (federation.proto) as peers call it: each call is handed to the internal API
 * of the service that owns it, with the peer's proven domain; answers and errors go back unchanged.
 */
final class FederationGrpcService extends FederationServiceGrpc.FederationServiceImplBase {
  /** The most deliveries one DeliverBatch carries (federation.proto), as this homeserver's outbox sends them. */
  static final int MAX_BATCH = OutboxStore.BATCH_ENTRIES;
  /** Federation API versions served. */
  static final List<String> VERSIONS = org.homeserver.federation.outbound.PeerClient.VERSIONS;

  private final String domain;
  private final String software;
  private final FederationPort.Services services;
  private final RateLimiter discoveries;
  private final PublishedKeys keys;

  FederationGrpcService(String domain, String software, FederationPort.Services services, RateLimiter discoveries,
                        PublishedKeys keys) {
    this.domain = domain;
    this.software = software;
    this.services = services;
    this.discoveries = discoveries;
    this.keys = keys;
  }

  /** This homeserver's federation keys as GetFederationKeys publishes them. */
  interface PublishedKeys {
    GetFederationKeysResponse published();
  }

  @Override
  public void getAuthenticationRoots(GetAuthenticationRootsRequest request,
                                     StreamObserver<GetAuthenticationRootsResponse> response) {
    var roots = services.auth().getAuthenticationRoots(
        org.homeserver.api.auth.v1.GetAuthenticationRootsRequest.getDefaultInstance());
    reply(response, GetAuthenticationRootsResponse.newBuilder().setDomain(roots.getDomain())
        .addAllRootCertificates(roots.getRootCertificatesList()).build());
  }

  @Override
  public void discoverUser(DiscoverUserRequest request, StreamObserver<DiscoverUserResponse> response) {
    String peer = CallingPeer.domain();
    RateLimits.check(discoveries, peer, "too many user discoveries from " + peer + "; wait a little");
    var found = services.directory().lookupUser(LookupUserRequest.newBuilder().setPeerDomain(peer)
        .setRequest(request).build());
    reply(response, DiscoverUserResponse.newBuilder().setProfile(found.getProfile()).build());
  }

  @Override
  public void deliverConnectionRequest(DeliverConnectionRequestRequest request,
                                       StreamObserver<DeliverConnectionRequestResponse> response) {
    services.directory().receiveConnectionRequest(ReceiveConnectionRequestRequest.newBuilder()
        .setPeerDomain(CallingPeer.domain()).setRequest(request).build());
    reply(response, DeliverConnectionRequestResponse.getDefaultInstance());
  }

  @Override
  public void claimKeyPackages(ClaimKeyPackagesRequest request, StreamObserver<ClaimKeyPackagesResponse> response) {
    reply(response, services.keyPackages().claimKeyPackagesForPeer(ClaimKeyPackagesForPeerRequest.newBuilder()
        .setPeerDomain(CallingPeer.domain()).setRequest(request).build()).getResponse());
  }

  @Override
  public void relayGroupOperation(RelayGroupOperationRequest request,
                                  StreamObserver<RelayGroupOperationResponse> response) {
    reply(response, services.delivery().applyRelayedOperation(ApplyRelayedOperationRequest.newBuilder()
        .setPeerDomain(CallingPeer.domain()).setRequest(request).build()).getResponse());
  }

  @Override
  public void fetchGroupMessages(FetchGroupMessagesRequest request,
                                 StreamObserver<FetchGroupMessagesResponse> response) {
    reply(response, services.delivery().fetchGroupMessagesForPeer(FetchGroupMessagesForPeerRequest.newBuilder()
        .setPeerDomain(CallingPeer.domain()).setRequest(request).build()));
  }

  @Override
  public void deliverBatch(DeliverBatchRequest request, StreamObserver<DeliverBatchResponse> response) {
    String peer = CallingPeer.domain();
    if (request.getDeliveriesCount() > MAX_BATCH) {
      throw Refusal.invalidField("deliveries", "at most " + MAX_BATCH + " deliveries in one batch");
    }
    DeliverBatchResponse.Builder out = DeliverBatchResponse.newBuilder();
    boolean stopped = false;
    for (Delivery delivery : request.getDeliveriesList()) {
      if (stopped) {
        out.addResults(DeliveryResult.newBuilder().setCode(Status.Code.ABORTED.value())
            .setMessage("not attempted: an earlier delivery of the batch is to be retried"));
        continue;
      }
      DeliveryResult result = apply(peer, delivery);
      out.addResults(result);
      stopped = Retries.retriable(Status.fromCodeValue(result.getCode()).getCode());
    }
    reply(response, out.build());
  }

  /** One delivery, in its own transactions with its idempotency record (the owning service's). */
  private DeliveryResult apply(String peer, Delivery delivery) {
    try {
      switch (delivery.getKindCase()) {
        case CONNECTION_UPDATE -> services.directory().receiveConnectionUpdate(ReceiveConnectionUpdateRequest
            .newBuilder().setPeerDomain(peer).setRequest(delivery.getConnectionUpdate()).build());
        case EVENT -> acceptEvent(peer, delivery.getEvent());
        case GROUP_MESSAGE -> services.delivery().acceptGroupMessage(AcceptGroupMessageRequest.newBuilder()
            .setPeerDomain(peer).setRequest(delivery.getGroupMessage()).build());
        case WELCOME -> services.delivery().acceptWelcome(AcceptWelcomeRequest.newBuilder()
            .setPeerDomain(peer).setRequest(delivery.getWelcome()).build());
        case KIND_NOT_SET -> throw Refusal.invalid("a delivery names none of its kinds");
      }
      return DeliveryResult.getDefaultInstance();
    } catch (RuntimeException e) {
      return resultOf(e);
    }
  }

  private void acceptEvent(String peer, DeliverEventRequest event) {
    if (event.hasUserDeleted()) {
      PeerIds.requireActing(peer, event.getUserDeleted().getUserId(), "user_deleted.user_id");
      // The links go first: a retry after a failure below repeats both, and each is idempotent.
      services.directory().deleteUserData(DeleteUserDataRequest.newBuilder()
          .setUserId(event.getUserDeleted().getUserId()).build());
    }
    services.delivery().acceptEvent(AcceptEventRequest.newBuilder().setPeerDomain(peer).setRequest(event).build());
  }

  private static DeliveryResult resultWith(Status.Code code, String message) {
    return DeliveryResult.newBuilder().setCode(code.value()).setMessage(message).build();
  }

  /**
   * The result a failed delivery reports, as the peer's client would see the status; a service's
   * plain UNIMPLEMENTED stays that (final), and anything internal is logged under this call's id.
   */
  private static DeliveryResult resultOf(RuntimeException e) {
    if (e instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
      return resultWith(Status.Code.UNIMPLEMENTED, String.valueOf(s.getStatus().getDescription()));
    }
    Status status = ErrorMappingInterceptor.statusFor(e, ErrorMappingInterceptor.REQUEST_ID_CONTEXT.get(),
        new io.grpc.Metadata());
    DeliveryResult.Builder result = DeliveryResult.newBuilder().setCode(status.getCode().value())
        .setMessage(status.getDescription() == null ? "" : status.getDescription());
    ErrorStatus.errorInfo(e instanceof Refusal r ? ErrorStatus.toStatus(r) : e)
        .flatMap(info -> java.util.Arrays.stream(ErrorReason.values()).filter(v -> v.name().equals(info.getReason()))
            .findFirst())
        .ifPresent(result::setReason);
    return result.build();
  }

  @Override
  public void getFederationKeys(GetFederationKeysRequest request, StreamObserver<GetFederationKeysResponse> response) {
    reply(response, keys.published());
  }

  @Override
  public void exchangeCapabilities(ExchangeCapabilitiesRequest request,
                                   StreamObserver<ExchangeCapabilitiesResponse> response) {
    reply(response, ExchangeCapabilitiesResponse.newBuilder().setDomain(domain).addAllVersions(VERSIONS)
        .addCapabilities("groups").setSoftware(software).build());
  }
}
