package org.homeserver.keypackage;

import org.homeserver.api.delivery.v1.KeyPackagesLow;

/** Sends a client its KeyPackagesLow event (the delivery service's internal API in production). */
public interface LowStockNotices {
  /**
   * Queues {@code event} for {@code clientId}. A second call with the same {@code idempotencyKey}
   * (an idempotency key as rules.proto declares it) queues nothing new. Throws if the event could not be queued.
   */
  void send(String clientId, KeyPackagesLow event, String idempotencyKey);
}
