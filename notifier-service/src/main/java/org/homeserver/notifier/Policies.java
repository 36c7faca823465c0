package org.homeserver.notifier;

import java.util.List;
import java.util.Optional;
import org.homeserver.api.notifier.v1.NotificationPolicy;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.notify.NotificationPolicies;

/** Clients' default notification policies. */
public final class Policies {
  private final NotifierStore store;

  public Policies(NotifierStore store) {
    this.store = store;
  }

  /** Stores the caller's default policy with its defaults filled in; returns it. */
  public NotificationPolicy setDefault(Principal caller, NotificationPolicy policy) {
    NotificationPolicy normalized = NotificationPolicies.withDefaults(policy);
    store.setDefaultPolicy(caller.clientUuid(), caller.userId(), normalized);
    return normalized;
  }

  /** The caller's default policy; empty if it never set one (the server default applies). */
  public Optional<NotificationPolicy> getDefault(Principal caller) {
    return Optional.ofNullable(store.defaultPolicies(List.of(caller.clientUuid())).get(caller.clientUuid()));
  }
}
