package org.homeserver.federation.discovery;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/** Finds where a peer domain's federation port is, and keeps each answer as long as it holds. */
public final class Discovery {
  private static final int MAX_DOMAINS = 10_000;

  private final PeerLookup lookup;
  private final Cache<String, Resolution> answers;

  /**
   * @param staticPeers the operator's table, domain to host:port (federation.peers)
   * @param dnsServer host:port of the DNS server asked for SRV records; empty: /etc/resolv.conf's first
   */
  public Discovery(Map<String, String> staticPeers, Optional<String> dnsServer, boolean allowPrivateAddresses,
      int defaultPort, Clock clock) {
    this(new PeerLookup(staticPeers, DnsClient.forServer(dnsServer), allowPrivateAddresses, defaultPort, clock,
        new Random()), clock);
  }

  Discovery(PeerLookup lookup, Clock clock) {
    this.lookup = lookup;
    this.answers = Caffeine.newBuilder()
        .maximumSize(MAX_DOMAINS)
        // On write, not on create: resolveFresh replaces an answer, and the new one brings its own lifetime.
        .expireAfter(Expiry.writing((String domain, Resolution answer) -> answer.cacheFor()))
        .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
        // Upkeep on the calling thread: no pool of its own, and tests stay deterministic.
        .executor(Runnable::run)
        .build();
  }

  /** Where the domain's federation port is: the kept answer while it lasts, else a fresh one. */
  public Resolution resolve(String domain) {
    String name = Domains.normalize(domain);
    Resolution kept = answers.getIfPresent(name);
    // Not answers.get(name, lookup): that would hold a lock of the cache's map through seconds of DNS.
    return kept != null ? kept : resolveFresh(name);
  }

  /** Where the domain's federation port is now, looked up afresh and kept in place of the old answer. */
  public Resolution resolveFresh(String domain) {
    String name = Domains.normalize(domain);
    Resolution fresh = lookup.lookUp(name);
    answers.put(name, fresh);
    return fresh;
  }

  /** The kept answer, if one is kept now; looks nothing up (for status pages). */
  public Optional<Resolution> known(String domain) {
    return Optional.ofNullable(answers.getIfPresent(Domains.normalize(domain)));
  }

  /** Drops the kept answer, so the next resolve looks again (after a peer's move, or a failed connection). */
  public void forget(String domain) {
    answers.invalidate(Domains.normalize(domain));
  }
}
