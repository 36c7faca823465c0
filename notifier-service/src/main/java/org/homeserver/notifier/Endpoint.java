package org.homeserver.notifier;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.homeserver.api.notifier.v1.EndpointKind;
import org.homeserver.notifier.push.EndpointAddress;

/** One registered push endpoint of a client, with how its last pushes went. */
public record Endpoint(UUID id, UUID client, String userId, EndpointAddress address, Instant registeredAt,
                       Optional<Instant> lastSuccessAt, Optional<Instant> lastFailureAt, String lastFailure) {
  public Endpoint {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(address, "address");
  }

  public EndpointKind kind() {
    return kindOf(address);
  }

  public static EndpointKind kindOf(EndpointAddress address) {
    return switch (address) {
      case EndpointAddress.WebPush w -> EndpointKind.ENDPOINT_KIND_WEB_PUSH;
      case EndpointAddress.Webhook w -> EndpointKind.ENDPOINT_KIND_WEBHOOK;
      case EndpointAddress.Apns a -> EndpointKind.ENDPOINT_KIND_APNS;
      case EndpointAddress.Fcm f -> EndpointKind.ENDPOINT_KIND_FCM;
    };
  }

  /** What makes two registrations of a client the same endpoint: its URL or device token. */
  public static String addressKey(EndpointAddress address) {
    return switch (address) {
      case EndpointAddress.WebPush w -> w.url().toString();
      case EndpointAddress.Webhook w -> w.url().toString();
      case EndpointAddress.Apns a -> "apns:" + a.deviceToken();
      case EndpointAddress.Fcm f -> "fcm:" + f.registrationToken();
    };
  }
}
