package org.homeserver.bench.load;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.homeserver.platform.testing.TestCertificateAuthority;
import org.homeserver.platform.testing.TestCertificateAuthority.KeyFormat;

/**
 * Two homeserver processes of different domains that federate over mutual TLS on loopback, each on
 * a scratch database of its own: {@link #HUB} hosts the run's groups, {@link #FOLLOWER} serves the
 * other member of each. Their federation certificates come from one CA made for the run; each finds
 * the other in its static peer table. Each keeps its configuration, data and log in a subdirectory
 * of the run directory named by its domain.
 */
final class FederatedServers implements AutoCloseable {
  static final String HUB = "a.test";
  static final String FOLLOWER = "b.test";

  /** One homeserver of the pair while it runs. */
  record Member(String domain, Postgres.ScratchDatabase database, AutoCloseable vacuums, ServerProcess server) {}

  private final Map<String, Member> members;

  private FederatedServers(Map<String, Member> members) {
    this.members = members;
  }

  /**
   * Starts both homeservers at once with the load-test settings, {@code settings} on top of them,
   * and what federation needs: certificates, the peer table, an open policy.
   */
  static FederatedServers start(ServerOptions options, Path runDirectory, String stamp, Map<String, String> settings)
      throws Exception {
    List<String> domains = List.of(HUB, FOLLOWER);
    TestCertificateAuthority ca = TestCertificateAuthority.create("bench/load federation CA");
    Path caFile = runDirectory.resolve("federation-ca.pem");
    ca.writeCertificate(caFile);
    Map<String, Integer> federationPorts = new LinkedHashMap<>();
    for (String domain : domains) {
      federationPorts.put(domain, ServerProcess.freePort());
    }
    String peers = federationPorts.entrySet().stream().map(e -> e.getKey() + "=127.0.0.1:" + e.getValue())
        .collect(Collectors.joining(","));
    Map<String, Member> started = new LinkedHashMap<>();
    FederatedServers servers = new FederatedServers(started);
    try (ExecutorService starting = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Member>> futures = new ArrayList<>();
      for (String domain : domains) {
        Path directory = Files.createDirectories(runDirectory.resolve(domain));
        TestCertificateAuthority.Issued issued = ca.issueForDomain(domain);
        issued.writeChain(directory.resolve("federation.pem"));
        issued.writeKey(directory.resolve("federation.key"), KeyFormat.PKCS8);
        Map<String, String> own = new LinkedHashMap<>();
        own.put("domain", domain);
        own.put("federation.host", "127.0.0.1");
        own.put("federation.port", Integer.toString(federationPorts.get(domain)));
        own.put("federation.certificate-file", directory.resolve("federation.pem").toAbsolutePath().toString());
        own.put("federation.key-file", directory.resolve("federation.key").toAbsolutePath().toString());
        own.put("federation.trust-anchors-file", caFile.toAbsolutePath().toString());
        own.put("federation.peers", peers);
        own.put("federation.policy", "open");
        own.putAll(settings);
        String database = "bench_" + stamp + "_" + domain.replace('.', '_');
        futures.add(starting.submit(() -> startMember(options, directory, database, domain, own)));
      }
      List<Exception> failures = new ArrayList<>();
      for (Future<Member> future : futures) {
        try {
          Member member = future.get();
          started.put(member.domain(), member);
        } catch (ExecutionException e) {
          failures.add(e.getCause() instanceof Exception cause ? cause : e);
        }
      }
      if (!failures.isEmpty()) {
        servers.close();
        throw failures.getFirst();
      }
    }
    return servers;
  }

  private static Member startMember(ServerOptions options, Path directory, String databaseName, String domain,
      Map<String, String> settings) throws Exception {
    Postgres postgres = options.postgres();
    Postgres.ScratchDatabase database = postgres.createScratch(databaseName);
    AutoCloseable vacuums = null;
    try {
      vacuums = database.vacuumUnlessAutovacuum();
      ServerProcess server = ServerProcess.start(options.launcher(), directory, database.jdbcUrl(), postgres,
          options.jvmOptions(), settings);
      return new Member(domain, database, vacuums, server);
    } catch (Exception e) {
      if (vacuums != null) {
        vacuums.close();
      }
      database.close();
      throw e;
    }
  }

  Member hub() {
    return members.get(HUB);
  }

  Member follower() {
    return members.get(FOLLOWER);
  }

  @Override
  public void close() throws Exception {
    for (Member member : members.values()) {
      member.server().close();
      member.vacuums().close();
      member.database().close();
    }
  }
}
