package org.homeserver.delivery;

import static org.homeserver.platform.grpc.Replies.reply;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.homeserver.api.delivery.v1.AcceptEventRequest;
import org.homeserver.api.delivery.v1.AcceptEventResponse;
import org.homeserver.api.delivery.v1.DeliverEventRequest;
import org.homeserver.api.delivery.v1.DeliverEventResponse;
import org.homeserver.api.delivery.v1.DeliveryInternalServiceGrpc;
import org.homeserver.api.delivery.v1.ListGroupPeersRequest;
import org.homeserver.api.delivery.v1.ListGroupPeersResponse;
import org.homeserver.api.delivery.v1.PurgeClientsRequest;
import org.homeserver.api.delivery.v1.PurgeClientsResponse;

/**
 * The delivery service's internal API (delivery_internal.proto). Of the inbound federation RPCs,
 * AcceptEvent serves profile changes and user deletions; federated groups (GroupDeleted from a
 * peer, relayed operations, group messages and Welcomes) answer UNIMPLEMENTED until they are built.
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
  public void acceptEvent(AcceptEventRequest request, StreamObserver<AcceptEventResponse> response) {
    if (request.getRequest().hasGroupDeleted()) {
      response.onError(Status.UNIMPLEMENTED.withDescription("federated groups are not served yet").asRuntimeException());
      return;
    }
    events.accept(request.getPeerDomain(), request.getRequest());
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
