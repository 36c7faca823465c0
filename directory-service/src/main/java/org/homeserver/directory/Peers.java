package org.homeserver.directory;

import org.homeserver.api.directory.v1.Profile;
import org.homeserver.api.federation.v1.DeliverConnectionRequestRequest;
import org.homeserver.api.federation.v1.DeliverConnectionUpdateRequest;

/**
 * What the directory asks of other homeservers (the federation gateway's internal API in
 * production). A peer's refusal comes back as the peer gave it, to be passed on unchanged.
 */
public interface Peers {
  /** The profile of the user of {@code destination} that {@code query} names, found for {@code requester}. */
  Profile discover(String destination, String query, String requester);

  /** Delivers a connection request to the target's homeserver now; its refusal is thrown. */
  void sendRequest(String destination, DeliverConnectionRequestRequest request);

  /**
   * Stores a connection update in the outbox towards {@code destination}, to be delivered with
   * retries; storing it twice under one idempotency key stores one entry.
   */
  void enqueueUpdate(String destination, DeliverConnectionUpdateRequest update);
}
