package org.homeserver.delivery;

import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.federation.v1.CheckPeerRequest;
import org.homeserver.api.federation.v1.Delivery;
import org.homeserver.api.federation.v1.EnqueueRequest;
import org.homeserver.api.federation.v1.FederationInternalServiceGrpc.FederationInternalServiceBlockingStub;
import org.homeserver.api.federation.v1.FetchFromHubRequest;
import org.homeserver.api.federation.v1.FetchGroupMessagesRequest;
import org.homeserver.api.federation.v1.FetchGroupMessagesResponse;
import org.homeserver.api.federation.v1.RelayGroupOperationRequest;
import org.homeserver.api.federation.v1.RelayGroupOperationResponse;
import org.homeserver.api.federation.v1.RelayToHubRequest;
import org.homeserver.api.keypackage.v1.CheckPeerClaimsRequest;
import org.homeserver.api.keypackage.v1.KeyPackageInternalServiceGrpc.KeyPackageInternalServiceBlockingStub;
import org.homeserver.api.keypackage.v1.PeerClaim;
import org.homeserver.platform.grpc.ErrorStatus;

/** {@link FederationLink} over the federation gateway's and the KeyPackage store's internal APIs. */
record FederationLinkOverGrpc(FederationInternalServiceBlockingStub federation,
                              KeyPackageInternalServiceBlockingStub keyPackages, Duration deadline)
    implements FederationLink {

  @Override
  public RelayGroupOperationResponse relay(String hub, RelayGroupOperationRequest request) {
    return federation().withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .relayToHub(RelayToHubRequest.newBuilder().setDestination(hub).setRequest(request).build());
  }

  @Override
  public FetchGroupMessagesResponse fetch(String hub, FetchGroupMessagesRequest request) {
    return federation().withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .fetchFromHub(FetchFromHubRequest.newBuilder().setDestination(hub).setRequest(request).build());
  }

  @Override
  public Queued enqueue(String destination, byte[] groupId, Delivery delivery, int maxLaneEntries) {
    EnqueueRequest.Builder request = EnqueueRequest.newBuilder().setDestination(destination)
        .setGroupId(com.google.protobuf.ByteString.copyFrom(groupId)).setMaxLaneEntries(maxLaneEntries);
    switch (delivery.getKindCase()) {
      case GROUP_MESSAGE -> request.setGroupMessage(delivery.getGroupMessage());
      case WELCOME -> request.setWelcome(delivery.getWelcome());
      case EVENT -> request.setEvent(delivery.getEvent());
      case CONNECTION_UPDATE -> request.setConnectionUpdate(delivery.getConnectionUpdate());
      case KIND_NOT_SET -> throw new IllegalArgumentException("a delivery of no kind");
    }
    try {
      federation().withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).enqueue(request.build());
      return Queued.QUEUED;
    } catch (StatusRuntimeException e) {
      String reason = ErrorStatus.errorInfo(e).map(info -> info.getReason()).orElse("");
      if (reason.equals(ErrorReason.OUTBOX_LANE_FULL.name())) {
        return Queued.LANE_FULL;
      }
      if (reason.equals(ErrorReason.FEDERATION_DENIED.name())) {
        return Queued.FORBIDDEN;
      }
      throw e;
    }
  }

  @Override
  public boolean federatesWith(String domain) {
    return federation().withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .checkPeer(CheckPeerRequest.newBuilder().setDomain(domain).build()).getAllowed();
  }

  @Override
  public List<PeerClaim> peerClaims(String domain, List<byte[]> refs) {
    return keyPackages().withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .checkPeerClaims(CheckPeerClaimsRequest.newBuilder().setDomain(domain)
            .addAllKeyPackageRefs(refs.stream().map(com.google.protobuf.ByteString::copyFrom).toList()).build())
        .getClaimsList();
  }
}
