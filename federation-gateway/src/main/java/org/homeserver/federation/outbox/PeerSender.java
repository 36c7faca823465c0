package org.homeserver.federation.outbox;

import java.util.List;
import org.homeserver.api.federation.v1.Delivery;
import org.homeserver.api.federation.v1.DeliveryResult;

/** Sends one batch of a lane to a peer: the signed mutual-TLS DeliverBatch call (federation.proto). */
public interface PeerSender {
  /**
   * The peer's result for each delivery of {@code batch}, in the same order. The call must end
   * (its deadline) well within {@link OutboxWorker#LEASE}, so no other process takes the lane over
   * while it runs.
   *
   * @throws PeerUnreachableException when the call as a whole failed (no connection, a refused
   *     handshake, a status for the whole call); its message is a short "STATUS: reason" text
   */
  List<DeliveryResult> send(String destination, List<Delivery> batch) throws PeerUnreachableException;
}
