package org.homeserver.federation.discovery;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/** Where a peer domain's federation port is, how discovery found it (in English), and how long it may be kept. */
public record Resolution(Source source, List<Target> targets, List<String> steps, Duration cacheFor,
    Instant resolvedAt) {

  /** How long a static-table answer is kept: until the operator forgets it. */
  public static final Duration UNTIL_FORGOTTEN = ChronoUnit.FOREVER.getDuration();

  /** Which step found the answer. */
  public enum Source { STATIC, DNS_SRV, DEFAULT_PORT, UNRESOLVED }

  /** One host and port to try, with the addresses it resolved to that discovery allows. */
  public record Target(String host, int port, List<InetAddress> addresses) {
    public Target {
      addresses = List.copyOf(addresses);
    }

    public List<InetSocketAddress> socketAddresses() {
      return addresses.stream().map(address -> new InetSocketAddress(address, port)).toList();
    }
  }

  public Resolution {
    targets = List.copyOf(targets);
    steps = List.copyOf(steps);
  }

  public boolean resolved() {
    return source != Source.UNRESOLVED;
  }

  /** Every address to try, in try order: each target's addresses before the next target's. */
  public List<InetSocketAddress> socketAddresses() {
    return targets.stream().flatMap(target -> target.socketAddresses().stream()).toList();
  }

  /** The address to try first, if there is one. */
  public Optional<InetSocketAddress> first() {
    return socketAddresses().stream().findFirst();
  }
}
