package org.homeserver.delivery;

import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.homeserver.api.notifier.v1.NotificationPolicy;

/**
 * One client a send is queued for, with what belongs to it alone: the policy it set for the group
 * of a message (attached to its entry, so the notifier needs no lookup).
 */
public record Recipient(UUID client, Optional<NotificationPolicy> policy) {
  public Recipient {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(policy, "policy");
  }

  /** A recipient without a policy of its own. */
  public static Recipient of(UUID client) {
    return new Recipient(client, Optional.empty());
  }
}
