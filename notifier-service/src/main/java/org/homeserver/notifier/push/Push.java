package org.homeserver.notifier.push;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.homeserver.api.notifier.v1.NotificationKind;
import org.homeserver.api.notifier.v1.Urgency;

/**
 * One notification to push to one endpoint, with the policy in force already applied: never any
 * message content, only an opaque id, the number of waiting queue entries and whether to alert.
 *
 * @param notificationId the payload's {@code id}, the same on every retry (receivers deduplicate by it)
 * @param count          the payload's {@code count}: entries waiting in the client's queue
 * @param kind           ALERT or SILENT (NONE is never pushed)
 * @param ttlSeconds     how long the push service may keep it (RFC 8030 TTL), already reduced by
 *                       the time the job has waited
 * @param urgency        RFC 8030 Urgency, never UNSPECIFIED
 * @param topic          RFC 8030 Topic (collapse key); empty for none
 */
public record Push(String notificationId, long count, NotificationKind kind, long ttlSeconds, Urgency urgency,
                   String topic) {
  public Push {
    Objects.requireNonNull(notificationId, "notificationId");
    Objects.requireNonNull(topic, "topic");
    if (kind != NotificationKind.NOTIFICATION_KIND_ALERT && kind != NotificationKind.NOTIFICATION_KIND_SILENT) {
      throw new IllegalArgumentException("only ALERT and SILENT are pushed, not " + kind);
    }
    if (urgency == Urgency.URGENCY_UNSPECIFIED || urgency == Urgency.UNRECOGNIZED) {
      throw new IllegalArgumentException("urgency must be set");
    }
  }

  /** "alert" or "silent", as the payload names the kind. */
  public String kindName() {
    return kind == NotificationKind.NOTIFICATION_KIND_ALERT ? "alert" : "silent";
  }

  /** The RFC 8030 Urgency header value: very-low, low, normal or high. */
  public String urgencyHeader() {
    return switch (urgency) {
      case URGENCY_VERY_LOW -> "very-low";
      case URGENCY_LOW -> "low";
      case URGENCY_HIGH -> "high";
      default -> "normal";
    };
  }

  /** The payload every endpoint kind carries (notifier.proto PAYLOAD): {"id":..,"count":..,"kind":..}. */
  public byte[] payload() {
    return JsonBodies.write(JsonBodies.object().put("id", notificationId).put("count", count).put("kind", kindName()))
        .getBytes(StandardCharsets.UTF_8);
  }
}
