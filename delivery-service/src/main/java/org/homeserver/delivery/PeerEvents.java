package org.homeserver.delivery;

import org.homeserver.api.federation.v1.DeliverEventRequest;

/**
 * How server events reach users and clients of other domains: the federation gateway's durable
 * outbox in production. Storing one event twice under one idempotency key stores one entry.
 */
public interface PeerEvents {
  /** Stores {@code event} in the outbox towards {@code destination}; a failure is thrown. */
  void enqueue(String destination, DeliverEventRequest event);
}
