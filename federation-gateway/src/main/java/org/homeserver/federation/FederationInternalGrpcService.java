package org.homeserver.federation;

import static org.homeserver.platform.grpc.Replies.reply;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.federation.v1.CheckPeerRequest;
import org.homeserver.api.federation.v1.CheckPeerResponse;
import org.homeserver.api.federation.v1.ClaimKeyPackagesResponse;
import org.homeserver.api.federation.v1.ClaimRemoteKeyPackagesRequest;
import org.homeserver.api.federation.v1.DeliverConnectionRequestResponse;
import org.homeserver.api.federation.v1.Delivery;
import org.homeserver.api.federation.v1.DiscoverRemoteUserRequest;
import org.homeserver.api.federation.v1.DiscoverUserResponse;
import org.homeserver.api.federation.v1.EnqueueRequest;
import org.homeserver.api.federation.v1.FetchFromHubRequest;
import org.homeserver.api.federation.v1.FetchGroupMessagesResponse;
import org.homeserver.api.federation.v1.RelayGroupOperationResponse;
import org.homeserver.api.federation.v1.RelayToHubRequest;
import org.homeserver.api.federation.v1.EnqueueResponse;
import org.homeserver.api.federation.v1.FederationInternalServiceGrpc;
import org.homeserver.api.federation.v1.FederationServiceGrpc;
import org.homeserver.api.federation.v1.GetAuthenticationRootsRequest;
import org.homeserver.api.federation.v1.GetAuthenticationRootsResponse;
import org.homeserver.api.federation.v1.GetRemoteAuthenticationRootsRequest;
import org.homeserver.api.federation.v1.SendConnectionRequestRequest;
import org.homeserver.federation.outbound.PeerClient;
import org.homeserver.federation.outbox.Outbox;
import org.homeserver.federation.policy.LivePolicy;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.UserId;

/**
 * The gateway's internal API (federation_internal.proto): how the other services reach other
 * homeservers, directly for what a client waits for and through the outbox for what can wait.
 */
final class FederationInternalGrpcService extends FederationInternalServiceGrpc.FederationInternalServiceImplBase {
  /** A domain's AS roots are asked again after this long. */
  private static final Duration ROOTS_KEPT = Duration.ofMinutes(10);

  private final String ownDomain;
  private final PeerClient peers;
  private final Outbox outbox;
  private final LivePolicy policy;
  private final Cache<String, GetAuthenticationRootsResponse> roots = Caffeine.newBuilder()
      .expireAfterWrite(ROOTS_KEPT).maximumSize(10_000).build();

  FederationInternalGrpcService(String ownDomain, PeerClient peers, Outbox outbox, LivePolicy policy) {
    this.ownDomain = ownDomain;
    this.peers = peers;
    this.outbox = outbox;
    this.policy = policy;
  }

  @Override
  public void checkPeer(CheckPeerRequest request, StreamObserver<CheckPeerResponse> response) {
    reply(response, CheckPeerResponse.newBuilder().setAllowed(policy.allows(request.getDomain())).build());
  }

  @Override
  public void getRemoteAuthenticationRoots(GetRemoteAuthenticationRootsRequest request,
                                           StreamObserver<GetAuthenticationRootsResponse> response) {
    String destination = domain(request.getDestination());
    if (policy.refuses(destination, LivePolicy.Direction.OUTBOUND, "GetAuthenticationRoots")) {
      throw Refusal.of(ErrorReason.FEDERATION_DENIED, "this homeserver does not federate with " + destination);
    }
    GetAuthenticationRootsResponse cached = roots.getIfPresent(destination);
    if (cached == null) {
      cached = peers.call(destination, FederationServiceGrpc.getGetAuthenticationRootsMethod(),
          GetAuthenticationRootsRequest.getDefaultInstance());
      if (!cached.getDomain().equals(destination)) {
        throw Refusal.of(ErrorReason.PEER_DOMAIN_MISMATCH, destination + " answered with the roots of "
            + cached.getDomain());
      }
      roots.put(destination, cached);
    }
    reply(response, cached);
  }

  @Override
  public void discoverRemoteUser(DiscoverRemoteUserRequest request, StreamObserver<DiscoverUserResponse> response) {
    reply(response, peers.call(domain(request.getDestination()), FederationServiceGrpc.getDiscoverUserMethod(),
        request.getRequest()));
  }

  @Override
  public void sendConnectionRequest(SendConnectionRequestRequest request,
                                    StreamObserver<DeliverConnectionRequestResponse> response) {
    reply(response, peers.call(domain(request.getDestination()),
        FederationServiceGrpc.getDeliverConnectionRequestMethod(), request.getRequest()));
  }

  @Override
  public void claimRemoteKeyPackages(ClaimRemoteKeyPackagesRequest request,
                                     StreamObserver<ClaimKeyPackagesResponse> response) {
    reply(response, peers.call(domain(request.getDestination()), FederationServiceGrpc.getClaimKeyPackagesMethod(),
        request.getRequest()));
  }

  @Override
  public void relayToHub(RelayToHubRequest request, StreamObserver<RelayGroupOperationResponse> response) {
    reply(response, peers.call(domain(request.getDestination()), FederationServiceGrpc.getRelayGroupOperationMethod(),
        request.getRequest()));
  }

  @Override
  public void fetchFromHub(FetchFromHubRequest request, StreamObserver<FetchGroupMessagesResponse> response) {
    reply(response, peers.call(domain(request.getDestination()), FederationServiceGrpc.getFetchGroupMessagesMethod(),
        request.getRequest()));
  }

  @Override
  public void enqueue(EnqueueRequest request, StreamObserver<EnqueueResponse> response) {
    String destination = domain(request.getDestination());
    if (policy.refuses(destination, LivePolicy.Direction.OUTBOUND, "an outbox entry")) {
      throw Refusal.of(ErrorReason.FEDERATION_DENIED, "this homeserver does not federate with " + destination);
    }
    Delivery delivery = switch (request.getDeliveryCase()) {
      case CONNECTION_UPDATE -> Delivery.newBuilder().setConnectionUpdate(request.getConnectionUpdate()).build();
      case GROUP_MESSAGE -> Delivery.newBuilder().setGroupMessage(request.getGroupMessage()).build();
      case WELCOME -> Delivery.newBuilder().setWelcome(request.getWelcome()).build();
      case EVENT -> Delivery.newBuilder().setEvent(request.getEvent()).build();
      case DELIVERY_NOT_SET -> throw Refusal.invalidField("delivery", "name one delivery");
    };
    String lane = request.getGroupId().isEmpty() ? Outbox.CONTROL_LANE
        : Outbox.groupLane(request.getGroupId().toByteArray());
    try {
      Outbox.idempotencyKey(delivery);
    } catch (IllegalArgumentException e) {
      throw Refusal.invalidField("idempotency_key", "every outbox delivery carries an idempotency key");
    }
    if (request.getMaxLaneEntries() > 0 && !request.getGroupId().isEmpty()
        && outbox.laneHolds(destination, lane, request.getMaxLaneEntries())) {
      throw Refusal.limitReached(ErrorReason.OUTBOX_LANE_FULL, request.getMaxLaneEntries(),
          "the lane of this group towards " + destination + " holds " + request.getMaxLaneEntries() + " entries or more");
    }
    long id = outbox.enqueue(destination, lane, delivery);
    reply(response, EnqueueResponse.newBuilder().setEntryId(Long.toString(id)).build());
  }

  /** The destination, a domain other than this homeserver's own. */
  private String domain(String destination) {
    if (!UserId.isDomain(destination)) {
      throw Refusal.invalidField("destination", "not a domain: " + destination);
    }
    if (destination.equals(ownDomain)) {
      throw Refusal.invalidField("destination", destination + " is this homeserver's own domain");
    }
    return destination;
  }
}
