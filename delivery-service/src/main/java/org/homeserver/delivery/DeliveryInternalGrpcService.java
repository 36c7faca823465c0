package org.homeserver.delivery;

import static org.homeserver.platform.grpc.Replies.reply;

import io.grpc.stub.StreamObserver;
import org.homeserver.api.delivery.v1.DeliverEventRequest;
import org.homeserver.api.delivery.v1.DeliverEventResponse;
import org.homeserver.api.delivery.v1.DeliveryInternalServiceGrpc;
import org.homeserver.api.delivery.v1.ListGroupPeersRequest;
import org.homeserver.api.delivery.v1.ListGroupPeersResponse;

/**
 * The delivery service's internal API (delivery_internal.proto). PurgeClients and the inbound
 * federation RPCs answer UNIMPLEMENTED until account deletion and federation are built.
 */
final class DeliveryInternalGrpcService extends DeliveryInternalServiceGrpc.DeliveryInternalServiceImplBase {
  private final GroupEvents events;

  DeliveryInternalGrpcService(GroupEvents events) {
    this.events = events;
  }

  @Override
  public void deliverEvent(DeliverEventRequest request, StreamObserver<DeliverEventResponse> response) {
    events.deliver(request);
    reply(response, DeliverEventResponse.getDefaultInstance());
  }

  @Override
  public void listGroupPeers(ListGroupPeersRequest request, StreamObserver<ListGroupPeersResponse> response) {
    reply(response, events.peers(request.getUserId()));
  }
}
