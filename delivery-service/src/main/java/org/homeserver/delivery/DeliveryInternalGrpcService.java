package org.homeserver.delivery;

import static org.homeserver.platform.grpc.Replies.reply;

import io.grpc.stub.StreamObserver;
import org.homeserver.api.delivery.v1.AcceptEventRequest;
import org.homeserver.api.delivery.v1.AcceptEventResponse;
import org.homeserver.api.delivery.v1.AcceptGroupMessageRequest;
import org.homeserver.api.delivery.v1.AcceptGroupMessageResponse;
import org.homeserver.api.delivery.v1.AcceptWelcomeRequest;
import org.homeserver.api.delivery.v1.AcceptWelcomeResponse;
import org.homeserver.api.delivery.v1.ApplyRelayedOperationRequest;
import org.homeserver.api.delivery.v1.ApplyRelayedOperationResponse;
import org.homeserver.api.delivery.v1.FetchGroupMessagesForPeerRequest;
import org.homeserver.api.federation.v1.FetchGroupMessagesResponse;
import org.homeserver.api.delivery.v1.DeliverEventRequest;
import org.homeserver.api.delivery.v1.DeliverEventResponse;
import org.homeserver.api.delivery.v1.DeliveryInternalServiceGrpc;
import org.homeserver.api.delivery.v1.ListGroupPeersRequest;
import org.homeserver.api.delivery.v1.ListGroupPeersResponse;
import org.homeserver.api.delivery.v1.PurgeClientsRequest;
import org.homeserver.api.delivery.v1.PurgeClientsResponse;

/**
 * The delivery service's internal API (delivery_internal.proto): events from the other services,
 * purges, and the inbound federation traffic the gateway hands over (relays to groups hosted here,
 * fetches of what followers missed, and what hubs send the groups followed here).
 */
final class DeliveryInternalGrpcService extends DeliveryInternalServiceGrpc.DeliveryInternalServiceImplBase {
  private final GroupEvents events;
  private final Purges purges;
  private final RelayedOperations relays;
  private final FanOut fanOut;
  private final FollowedGroups followed;

  DeliveryInternalGrpcService(GroupEvents events, Purges purges, RelayedOperations relays, FanOut fanOut,
      FollowedGroups followed) {
    this.events = events;
    this.purges = purges;
    this.relays = relays;
    this.fanOut = fanOut;
    this.followed = followed;
  }

  @Override
  public void applyRelayedOperation(ApplyRelayedOperationRequest request,
      StreamObserver<ApplyRelayedOperationResponse> response) {
    reply(response, ApplyRelayedOperationResponse.newBuilder()
        .setResponse(relays.apply(request.getPeerDomain(), request.getRequest())).build());
  }

  @Override
  public void fetchGroupMessagesForPeer(FetchGroupMessagesForPeerRequest request,
      StreamObserver<FetchGroupMessagesResponse> response) {
    var fetch = request.getRequest();
    reply(response, fanOut.fetchFor(request.getPeerDomain(), fetch.getGroupId().toByteArray(),
        fetch.getAfterSequence(), fetch.getLimit() == 0 ? FanOut.MAX_FETCH : fetch.getLimit()));
  }

  @Override
  public void acceptGroupMessage(AcceptGroupMessageRequest request, StreamObserver<AcceptGroupMessageResponse> response) {
    followed.acceptMessage(request.getPeerDomain(), request.getRequest());
    reply(response, AcceptGroupMessageResponse.getDefaultInstance());
  }

  @Override
  public void acceptWelcome(AcceptWelcomeRequest request, StreamObserver<AcceptWelcomeResponse> response) {
    followed.acceptWelcome(request.getPeerDomain(), request.getRequest());
    reply(response, AcceptWelcomeResponse.getDefaultInstance());
  }

  @Override
  public void deliverEvent(DeliverEventRequest request, StreamObserver<DeliverEventResponse> response) {
    events.deliver(request);
    reply(response, DeliverEventResponse.getDefaultInstance());
  }

  @Override
  public void acceptEvent(AcceptEventRequest request, StreamObserver<AcceptEventResponse> response) {
    switch (request.getRequest().getEventCase()) {
      case GROUP_DELETED -> followed.acceptDeleted(request.getPeerDomain(), request.getRequest());
      case GROUP_FEDERATION_CHANGED -> followed.acceptFederationChanged(request.getPeerDomain(), request.getRequest());
      default -> events.accept(request.getPeerDomain(), request.getRequest());
    }
    reply(response, AcceptEventResponse.getDefaultInstance());
  }

  @Override
  public void purgeClients(PurgeClientsRequest request, StreamObserver<PurgeClientsResponse> response) {
    switch (request.getTargetCase()) {
      case USER_ID -> purges.purgeUser(request.getUserId());
      case CLIENT_ID -> purges.purgeClient(request.getClientId());
      case TARGET_NOT_SET -> throw new IllegalStateException("the request rules require a target");
    }
    reply(response, PurgeClientsResponse.getDefaultInstance());
  }

  @Override
  public void listGroupPeers(ListGroupPeersRequest request, StreamObserver<ListGroupPeersResponse> response) {
    reply(response, events.peers(request.getUserId()));
  }
}
