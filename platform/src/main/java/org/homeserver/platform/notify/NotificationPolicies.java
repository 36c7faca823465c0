package org.homeserver.platform.notify;

import org.homeserver.api.notifier.v1.NotificationPolicy;
import org.homeserver.api.notifier.v1.Urgency;

/**
 * A NotificationPolicy (notifier.proto) as it is stored, for the default policy of a client and a
 * member's policy for one group alike: the request rules admitted it, this fills in its defaults.
 */
public final class NotificationPolicies {
  public static final long DEFAULT_TTL_SECONDS = 86_400;

  private NotificationPolicies() {}

  /** {@code policy} with its defaults filled in. */
  public static NotificationPolicy withDefaults(NotificationPolicy policy) {
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
