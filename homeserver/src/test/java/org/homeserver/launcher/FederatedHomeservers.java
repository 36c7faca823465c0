package org.homeserver.launcher;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.homeserver.api.federation.v1.FederationAdminServiceGrpc;
import org.homeserver.platform.grpc.BearerTokens;
import org.homeserver.platform.testing.TestCertificateAuthority;
import org.homeserver.platform.testing.TestCertificateAuthority.KeyFormat;
import org.homeserver.platform.testing.TestPostgres;

/**
 * Homeservers of different domains, each a `serve` process of its own with its own database and a
 * federation certificate from one test CA, that find each other through their static peer tables
 * on loopback. A homeserver can be killed and started again on the same ports and database. A link
 * between two of them can run through a {@link FaultProxy} each way, so that a test can cut that
 * link while the others stay up.
 */
final class FederatedHomeservers implements AutoCloseable {
  /** One homeserver: its settings, kept for a restart, and its process while it runs. */
  private static final class Member {
    final Map<String, String> settings;
    HomeserverProcess process;
    ManagedChannel admin;

    Member(Map<String, String> settings) {
      this.settings = settings;
    }
  }

  final TestCertificateAuthority ca;
  final Path caFile;
  private final Path dir;
  private final Map<String, Integer> federationPorts;
  private final Map<String, Member> members = new LinkedHashMap<>();
  /** The proxy each proxied link runs through, by [from, to]: the one {@code from} calls {@code to} through. */
  private final Map<List<String>, FaultProxy> proxies = new HashMap<>();

  private FederatedHomeservers(TestCertificateAuthority ca, Path dir, Map<String, Integer> federationPorts) {
    this.ca = ca;
    this.dir = dir;
    this.caFile = dir.resolve("ca.pem");
    this.federationPorts = federationPorts;
  }

  /**
   * Starts a homeserver for each of {@code domains} (in parallel), open to every domain, with
   * {@code extra} peers in their tables (domain -> federation port) for test peers.
   */
  static FederatedHomeservers start(List<String> domains, Map<String, Integer> extra) throws Exception {
    return start(domains, extra, List.of());
  }

  /**
   * As {@link #start(List, Map)}, with each link [x, y] of {@code proxiedLinks} run through a
   * {@link FaultProxy} each way: x's peer table has y at the proxy to y's federation port, and y's
   * has x at the proxy to x's. The proxies stay up across a restart.
   */
  static FederatedHomeservers start(List<String> domains, Map<String, Integer> extra, List<List<String>> proxiedLinks)
      throws Exception {
    Path dir = Files.createTempDirectory("federation-test");
    TestCertificateAuthority ca = TestCertificateAuthority.create("Federation Test CA");
    ca.writeCertificate(dir.resolve("ca.pem"));
    Map<String, Integer> ports = new LinkedHashMap<>();
    domains.forEach(d -> ports.put(d, TestHomeserver.freePort()));
    ports.putAll(extra);
    FederatedHomeservers servers = new FederatedHomeservers(ca, dir, ports);
    for (List<String> link : proxiedLinks) {
      if (link.size() != 2 || link.get(0).equals(link.get(1)) || !ports.keySet().containsAll(link)) {
        throw new IllegalArgumentException("a proxied link is two of the domains: " + link);
      }
      for (List<String> direction : List.of(link, link.reversed())) {
        servers.proxies.put(List.copyOf(direction), FaultProxy.start(0, "127.0.0.1", ports.get(direction.get(1))));
      }
    }
    for (String domain : domains) {
      var issued = ca.issueForDomain(domain);
      issued.writeChain(dir.resolve(domain + ".pem"));
      issued.writeKey(dir.resolve(domain + ".key"), KeyFormat.PKCS8);
      Map<String, String> settings = new HashMap<>();
      settings.put("domain", domain);
      settings.put("server.port", Integer.toString(TestHomeserver.freePort()));
      settings.put("admin.port", Integer.toString(TestHomeserver.freePort()));
      settings.put("admin.token", TestHomeserver.ADMIN_TOKEN);
      var database = TestPostgres.freshDatabase();
      settings.put("database.url", database.jdbcUrl());
      settings.put("database.user", database.user());
      settings.put("database.password", database.password());
      settings.put("federation.host", "127.0.0.1");
      settings.put("federation.port", Integer.toString(ports.get(domain)));
      settings.put("federation.certificate-file", dir.resolve(domain + ".pem").toString());
      settings.put("federation.key-file", dir.resolve(domain + ".key").toString());
      settings.put("federation.trust-anchors-file", servers.caFile.toString());
      settings.put("federation.peers", servers.peerTable(domain));
      settings.put("federation.policy", "open");
      // Long enough that only a reset, not the timer, explains a quick delivery after an outage.
      settings.put("federation.outbox.backoff-base", "60s");
      // Small, so that an outage fills a group's lane and the follower has to fetch what it skipped.
      settings.put("delivery.federation.lane-limit", "5");
      // The interop scenarios look many users up.
      settings.put("directory.lookups-per-minute", "100000");
      servers.members.put(domain, new Member(settings));
    }
    try {
      List<Thread> starting = domains.stream().map(d -> Thread.ofVirtual().start(() -> servers.startMember(d))).toList();
      for (Thread thread : starting) {
        thread.join();
      }
      for (String domain : domains) {
        if (servers.members.get(domain).process == null) {
          throw new IllegalStateException("the homeserver of " + domain + " did not start");
        }
      }
      return servers;
    } catch (Exception | Error e) {
      servers.close();
      throw e;
    }
  }

  /** {@code from}'s static peer table: every domain at its federation port, or at the proxy to it where proxied. */
  private String peerTable(String from) {
    return federationPorts.entrySet().stream().map(e -> {
      FaultProxy proxy = proxies.get(List.of(from, e.getKey()));
      return e.getKey() + "=127.0.0.1:" + (proxy == null ? e.getValue() : proxy.port());
    }).collect(Collectors.joining(","));
  }

  private void startMember(String domain) {
    Member member = members.get(domain);
    try {
      member.process = HomeserverProcess.start(member.settings);
      member.admin = NettyChannelBuilder.forAddress("127.0.0.1", Integer.parseInt(member.settings.get("admin.port")))
          .usePlaintext().build();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  Channel channel(String domain) {
    return members.get(domain).process.channel;
  }

  int publicPort(String domain) {
    return members.get(domain).process.port;
  }

  /** A connection to {@code domain}'s database, as its homeserver's own settings name it. */
  java.sql.Connection database(String domain) throws java.sql.SQLException {
    Map<String, String> settings = members.get(domain).settings;
    return java.sql.DriverManager.getConnection(settings.get("database.url"), settings.get("database.user"),
        settings.get("database.password"));
  }

  int adminPort(String domain) {
    return Integer.parseInt(members.get(domain).settings.get("admin.port"));
  }

  int federationPort(String domain) {
    return federationPorts.get(domain);
  }

  /** The CA-issued certificate chain and key files of {@code domain}. */
  Path certificateFile(String domain) {
    return dir.resolve(domain + ".pem");
  }

  Path keyFile(String domain) {
    return dir.resolve(domain + ".key");
  }

  FederationAdminServiceGrpc.FederationAdminServiceBlockingStub federationAdmin(String domain) {
    return FederationAdminServiceGrpc.newBlockingStub(members.get(domain).admin)
        .withCallCredentials(BearerTokens.credentials(TestHomeserver.ADMIN_TOKEN))
        .withDeadlineAfter(30, java.util.concurrent.TimeUnit.SECONDS);
  }

  /** The proxy {@code from} calls {@code to} through; the link must have been proxied at start. */
  FaultProxy proxy(String from, String to) {
    FaultProxy proxy = proxies.get(List.of(from, to));
    if (proxy == null) {
      throw new IllegalArgumentException("the link " + from + " -> " + to + " is not proxied");
    }
    return proxy;
  }

  /** Breaks the link between {@code x} and {@code y} both ways, until {@link #restore}. */
  void cut(String x, String y) {
    proxy(x, y).cut();
    proxy(y, x).cut();
  }

  /** Mends the link between {@code x} and {@code y} both ways. */
  void restore(String x, String y) {
    proxy(x, y).restore();
    proxy(y, x).restore();
  }

  /** Ends {@code domain}'s process at once (SIGKILL). */
  void kill(String domain) throws InterruptedException {
    Member member = members.get(domain);
    member.admin.shutdownNow();
    member.process.kill();
  }

  /** Starts {@code domain}'s homeserver again, on the same ports and database. */
  void restart(String domain) {
    startMember(domain);
  }

  /** The last lines of every homeserver's log, for a failing test. */
  String logTails(int lines) {
    StringBuilder out = new StringBuilder();
    members.forEach((domain, member) -> {
      if (member.process != null) {
        out.append("\n--- ").append(domain).append(" ---\n").append(member.process.logTail(lines));
      }
    });
    return out.toString();
  }

  @Override
  public void close() {
    members.values().forEach(member -> {
      if (member.admin != null) {
        member.admin.shutdownNow();
      }
      if (member.process != null) {
        member.process.close();
      }
    });
    proxies.values().forEach(FaultProxy::close);
  }
}
