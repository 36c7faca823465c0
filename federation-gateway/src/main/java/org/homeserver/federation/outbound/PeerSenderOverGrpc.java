package org.homeserver.federation.outbound;

import io.grpc.StatusRuntimeException;
import java.util.List;
import org.homeserver.api.federation.v1.DeliverBatchRequest;
import org.homeserver.api.federation.v1.Delivery;
import org.homeserver.api.federation.v1.DeliveryResult;
import org.homeserver.api.federation.v1.FederationServiceGrpc;
import org.homeserver.federation.outbox.PeerSender;
import org.homeserver.federation.outbox.PeerUnreachableException;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.ErrorStatus;

/** The outbox's batches as DeliverBatch calls to the peer; any failure of the whole call is the peer's unreachability. */
public record PeerSenderOverGrpc(PeerClient peers) implements PeerSender {
  @Override
  public List<DeliveryResult> send(String destination, List<Delivery> batch) throws PeerUnreachableException {
    try {
      return peers.call(destination, FederationServiceGrpc.getDeliverBatchMethod(),
          DeliverBatchRequest.newBuilder().addAllDeliveries(batch).build()).getResultsList();
    } catch (Refusal e) {
      throw new PeerUnreachableException(e.reason() + ": " + e.getMessage(), e);
    } catch (StatusRuntimeException e) {
      String reason = ErrorStatus.errorInfo(e).map(i -> i.getReason() + " ").orElse("");
      throw new PeerUnreachableException(reason + PeerClient.describe(e), e);
    }
  }
}
