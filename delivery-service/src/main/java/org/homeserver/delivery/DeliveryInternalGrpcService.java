package org.homeserver.delivery;

import static org.homeserver.platform.grpc.Replies.reply;

import io.grpc.stub.StreamObserver;
import org.homeserver.api.delivery.v1.DeliverEventRequest;
import org.homeserver.api.delivery.v1.DeliverEventResponse;
import org.homeserver.api.delivery.v1.DeliveryInternalServiceGrpc;
import org.homeserver.api.delivery.v1.ListGroupPeersRequest;
import org.homeserver.api.delivery.v1.ListGroupPeersResponse;
import org.homeserver.api.delivery.v1.PurgeClientsRequest;
import org.homeserver.api.delivery.v1.PurgeClientsResponse;

/**
 * The delivery service's internal API (delivery_internal.proto). The inbound federation RPCs answer
 * UNIMPLEMENTED until federation is built.
 */
final class DeliveryInternalGrpcService extends DeliveryInternalServiceGrpc.DeliveryInternalServiceImplBase {
  private final GroupEvents events;
  private final Purges purges;

  DeliveryInternalGrpcService(GroupEvents events, Purges purges) {
    this.events = events;
    this.purges = purges;
  }

  @Override
  public void deliverEvent(DeliverEventRequest request, StreamObserver<DeliverEventResponse> response) {
    events.deliver(request);
    reply(response, DeliverEventResponse.getDefaultInstance());
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
