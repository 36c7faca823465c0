package org.homeserver.delivery;

import java.util.List;
import org.homeserver.api.federation.v1.Delivery;
import org.homeserver.api.federation.v1.FetchGroupMessagesRequest;
import org.homeserver.api.federation.v1.FetchGroupMessagesResponse;
import org.homeserver.api.federation.v1.RelayGroupOperationRequest;
import org.homeserver.api.federation.v1.RelayGroupOperationResponse;
import org.homeserver.api.keypackage.v1.PeerClaim;

/**
 * What groups across domains need of the federation gateway and of the KeyPackage store (their
 * internal APIs in production). A refusal from a peer or the gateway is thrown unchanged.
 */
interface FederationLink {
  /** What became of a delivery handed to the outbox. */
  enum Queued { QUEUED, LANE_FULL, FORBIDDEN }

  /** A client's operation relayed to the group's hub; the hub's answer. */
  RelayGroupOperationResponse relay(String hub, RelayGroupOperationRequest request);

  /** What this homeserver missed of a group, asked of its hub. */
  FetchGroupMessagesResponse fetch(String hub, FetchGroupMessagesRequest request);

  /**
   * Queues a delivery in the outbox lane of {@code groupId} towards {@code destination}, unless the
   * lane already holds {@code maxLaneEntries} or the policy forbids the domain.
   */
  Queued enqueue(String destination, byte[] groupId, Delivery delivery, int maxLaneEntries);

  /** Whether the federation policy allows {@code domain} now. */
  boolean federatesWith(String domain);

  /** Of {@code refs}, the KeyPackages of this domain's clients that {@code domain} claimed. */
  List<PeerClaim> peerClaims(String domain, List<byte[]> refs);
}
