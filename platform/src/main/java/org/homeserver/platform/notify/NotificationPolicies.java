package org.homeserver.platform.notify;

import java.util.regex.Pattern;
import org.homeserver.api.notifier.v1.NotificationKind;
import org.homeserver.api.notifier.v1.NotificationPolicy;
import org.homeserver.api.notifier.v1.Urgency;
import org.homeserver.platform.grpc.ApiException;

/**
 * The rules of a NotificationPolicy (notifier.proto), shared by the default policy of a client and a
 * member's policy for one group: checked, then stored with the defaults filled in.
 */
public final class NotificationPolicies {
  public static final long DEFAULT_TTL_SECONDS = 86_400;
  public static final long MAX_TTL_SECONDS = 2_419_200;
  private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9_-]{0,32}");

  private NotificationPolicies() {}

  /** {@code policy} with its defaults filled in; INVALID_ARGUMENT naming the field that breaks a rule. */
  public static NotificationPolicy normalize(String field, NotificationPolicy policy) {
    if (policy.getKind() == NotificationKind.NOTIFICATION_KIND_UNSPECIFIED
        || policy.getKind() == NotificationKind.UNRECOGNIZED) {
      throw ApiException.invalidField(field + ".kind", "set the kind: alert, silent or none");
    }
    if (policy.getTtlSeconds() < 0 || policy.getTtlSeconds() > MAX_TTL_SECONDS) {
      throw ApiException.invalidField(field + ".ttl_seconds", "ttl_seconds is 0 (" + DEFAULT_TTL_SECONDS
          + ") to " + MAX_TTL_SECONDS);
    }
    if (policy.getUrgency() == Urgency.UNRECOGNIZED) {
      throw ApiException.invalidField(field + ".urgency", "unknown urgency " + policy.getUrgencyValue());
    }
    if (!TOPIC.matcher(policy.getCollapseTopic()).matches()) {
      throw ApiException.invalidField(field + ".collapse_topic",
          "a collapse topic is at most 32 characters of A-Z a-z 0-9 - _");
    }
    NotificationPolicy.Builder filled = policy.toBuilder();
    if (policy.getTtlSeconds() == 0) {
      filled.setTtlSeconds(DEFAULT_TTL_SECONDS);
    }
    if (policy.getUrgency() == Urgency.URGENCY_UNSPECIFIED) {
      filled.setUrgency(Urgency.URGENCY_NORMAL);
    }
    return filled.build();
  }
}
