package org.homeserver.federation.policy;

import java.time.Instant;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.homeserver.federation.FederationSettings.Mode;

/**
 * The operator's federation policy at one version: an allowlist, or open federation but for a
 * blocklist (federation_admin.proto FederationPolicy).
 */
public record Policy(Mode mode, SortedSet<String> domains, long version, Instant updatedAt) {
  public Policy {
    domains = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(domains));
  }

  /** Whether traffic with {@code domain} is allowed, both ways. */
  public boolean allows(String domain) {
    return switch (mode) {
      case ALLOWLIST -> domains.contains(domain);
      case OPEN -> !domains.contains(domain);
    };
  }

  /** The domains this policy allows that {@code before} did not, among those either lists. */
  public Set<String> newlyAllowed(Policy before) {
    Set<String> named = new TreeSet<>(domains);
    named.addAll(before.domains);
    named.removeIf(d -> !allows(d) || before.allows(d));
    return named;
  }
}
