package org.homeserver.federation.discovery;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import org.homeserver.federation.discovery.Resolution.Source;
import org.homeserver.federation.discovery.Resolution.Target;

/** One uncached lookup of a peer domain: the static table, then DNS SRV, then the domain's own addresses. */
final class PeerLookup {
  static final String SERVICE = "_homeserver-federation._tcp.";
  static final Duration FAILURE_KEPT = Duration.ofSeconds(30);
  static final Duration DEFAULT_PORT_KEPT = Duration.ofMinutes(5);
  static final Duration SRV_KEPT_AT_LEAST = Duration.ofSeconds(60);
  static final Duration SRV_KEPT_AT_MOST = Duration.ofHours(24);

  private final Map<String, String> staticPeers;
  private final DnsClient dns;
  private final UsableAddresses addresses;
  private final int defaultPort;
  private final Clock clock;
  private final RandomGenerator random;

  PeerLookup(Map<String, String> staticPeers, DnsClient dns, boolean allowPrivateAddresses, int defaultPort,
      Clock clock, RandomGenerator random) {
    this.staticPeers = staticPeers.entrySet().stream()
        .collect(Collectors.toUnmodifiableMap(e -> Domains.normalize(e.getKey()), Map.Entry::getValue));
    this.dns = dns;
    this.addresses = new UsableAddresses(allowPrivateAddresses);
    this.defaultPort = defaultPort;
    this.clock = clock;
    this.random = random;
  }

  /** The domain (already normalized) resolved now, with the steps that led there. */
  Resolution lookUp(String domain) {
    Instant now = clock.instant();
    List<String> steps = new ArrayList<>();
    String entry = staticPeers.get(domain);
    if (entry != null) {
      return fromStaticTable(domain, entry, steps, now);
    }
    steps.add("static table: no entry for " + domain);
    String name = SERVICE + domain;
    return switch (dns.querySrv(name)) {
      case SrvAnswer.Records found -> fromSrv(domain, name, found, steps, now);
      case SrvAnswer.NoRecords none -> {
        steps.add("DNS SRV " + name + ": " + none.why() + ", so " + domain + " itself is tried on port " + defaultPort);
        yield fromDefaultPort(domain, steps, now);
      }
      case SrvAnswer.Failure failure -> {
        // Falling back to the default port here would let a DNS outage send traffic somewhere an SRV record
        // would not have: the answer is unknown, not negative.
        steps.add("DNS SRV " + name + ": failed: " + failure.why() + "; the default port is not tried, since an "
            + "SRV record may exist");
        yield unresolved(domain, steps, now);
      }
    };
  }

  private Resolution fromStaticTable(String domain, String hostPort, List<String> steps, Instant now) {
    HostPort where = HostPort.parse(hostPort);
    steps.add("static table: " + domain + " is at " + hostPort + " (the operator's own entry, so private addresses "
        + "are allowed)");
    List<InetAddress> found = addresses.ofStaticHost(where.host(), steps);
    if (found.isEmpty()) {
      return unresolved(domain, steps, now);
    }
    Target target = new Target(where.host(), where.port(), found);
    return new Resolution(Source.STATIC, List.of(target), steps, Resolution.UNTIL_FORGOTTEN, now);
  }

  private Resolution fromSrv(String domain, String name, SrvAnswer.Records found, List<String> steps, Instant now) {
    if (found.overTcp()) {
      steps.add("DNS SRV " + name + ": the UDP answer was truncated, so the query was asked again over TCP");
    }
    List<SrvRecord> records = found.records();
    long ttl = records.stream().mapToLong(SrvRecord::ttlSeconds).min().orElseThrow();
    Duration kept = clamp(Duration.ofSeconds(ttl));
    steps.add("DNS SRV " + name + ": " + records.stream().map(SrvRecord::toString).collect(Collectors.joining(", "))
        + " (TTL " + ttl + " s, kept " + kept.toSeconds() + " s)");
    if (records.size() == 1 && records.getFirst().saysNoService()) {
      steps.add("DNS SRV " + name + ": the target \".\" says " + domain + " offers no federation service");
      return unresolved(domain, steps, now);
    }
    List<Target> targets = new ArrayList<>();
    for (SrvRecord record : SrvOrder.order(records, random)) {
      if (record.saysNoService()) {
        steps.add("DNS SRV " + name + ": the target \".\" among other records is skipped");
        continue;
      }
      List<InetAddress> usable = addresses.of(record.host(), steps);
      if (!usable.isEmpty()) {
        targets.add(new Target(record.host(), record.port(), usable));
      }
    }
    if (targets.isEmpty()) {
      return unresolved(domain, steps, now);
    }
    steps.add("try order: " + targets.stream().map(t -> t.host() + ":" + t.port()).collect(Collectors.joining(", "))
        + " (lowest priority first, weighted random within a priority)");
    return new Resolution(Source.DNS_SRV, targets, steps, kept, now);
  }

  private Resolution fromDefaultPort(String domain, List<String> steps, Instant now) {
    List<InetAddress> usable = addresses.of(domain, steps);
    if (usable.isEmpty()) {
      return unresolved(domain, steps, now);
    }
    steps.add("default port: " + domain + ":" + defaultPort + " (kept " + DEFAULT_PORT_KEPT.toSeconds() + " s)");
    return new Resolution(Source.DEFAULT_PORT, List.of(new Target(domain, defaultPort, usable)), steps,
        DEFAULT_PORT_KEPT, now);
  }

  private static Resolution unresolved(String domain, List<String> steps, Instant now) {
    steps.add("unresolved: " + domain + " has no federation address discovery may use (kept "
        + FAILURE_KEPT.toSeconds() + " s)");
    return new Resolution(Source.UNRESOLVED, List.of(), steps, FAILURE_KEPT, now);
  }

  // A TTL of seconds would have every delivery ask DNS; one of weeks would outlive a peer's move.
  private static Duration clamp(Duration ttl) {
    return ttl.compareTo(SRV_KEPT_AT_LEAST) < 0 ? SRV_KEPT_AT_LEAST
        : ttl.compareTo(SRV_KEPT_AT_MOST) > 0 ? SRV_KEPT_AT_MOST : ttl;
  }
}
