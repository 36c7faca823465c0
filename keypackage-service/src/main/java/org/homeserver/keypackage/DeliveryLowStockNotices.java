package org.homeserver.keypackage;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.delivery.v1.DeliverEventRequest;
import org.homeserver.api.delivery.v1.DeliveryInternalServiceGrpc;
import org.homeserver.api.delivery.v1.KeyPackagesLow;
import org.homeserver.api.delivery.v1.ServerEvent;

/** KeyPackagesLow events, queued by the delivery service's internal API. */
record DeliveryLowStockNotices(DeliveryInternalServiceGrpc.DeliveryInternalServiceBlockingStub delivery,
                               Duration deadline) implements LowStockNotices {
  @Override
  public void send(String clientId, KeyPackagesLow event, String idempotencyKey) {
    delivery.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).deliverEvent(DeliverEventRequest.newBuilder()
        .addClientIds(clientId)
        .setEvent(ServerEvent.newBuilder().setKeyPackagesLow(event))
        .setIdempotencyKey(idempotencyKey)
        .build());
  }
}
