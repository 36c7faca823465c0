package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.admin.v1.GetUserRequest;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.platform.config.ConfigException;
import org.homeserver.platform.config.HomeserverConfig;
import org.homeserver.platform.db.HomeDomain.DomainMismatchException;
import org.homeserver.platform.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Starting, restarting and refusing to start: the operator's view of the process. */
class HomeserverLifecycleTest {
  @TempDir
  Path dataDir;

  @Test
  void embeddedDatabaseStartsServesAndKeepsDataAcrossRestart() throws Exception {
    HomeserverConfig config = TestHomeserver.configFor(null, dataDir,
        Map.of("database.embedded-port", Integer.toString(TestHomeserver.freePort())));
    String userUuid;
    try (TestHomeserver first = TestHomeserver.start(config, List.of())) {
      assertTrue(first.server.embeddedDatabase());
      assertEquals(ServingStatus.SERVING, health(first.channel, ""));
      assertEquals(ServingStatus.SERVING, health(first.channel, "homeserver.auth.v1.AuthService"));
      first.registerUser("alice");
      first.registerClient("alice", SignatureScheme.ED25519);
      userUuid = first.admin().getUser(GetUserRequest.newBuilder().setUser("alice").build()).getUser().getUserUuid();
    }
    assertTrue(Files.isDirectory(dataDir.resolve("postgres")));
    try (TestHomeserver second = TestHomeserver.start(config, List.of())) {
      var alice = second.admin().getUser(GetUserRequest.newBuilder().setUser("alice").build());
      assertEquals(userUuid, alice.getUser().getUserUuid());
      assertEquals(1, alice.getClientsCount());
      second.session(second.registerClient("alice", SignatureScheme.ECDSA_SECP256R1_SHA256));
    }
  }

  @Test
  void startWithAnotherDomainIsRefusedWithAClearMessage() throws Exception {
    String db = TestPostgres.freshDatabase().jdbcUrl();
    try (TestHomeserver first = TestHomeserver.start(TestHomeserver.configFor(db, dataDir, Map.of()), List.of())) {
      first.registerUser("alice");
    }
    HomeserverConfig other = TestHomeserver.configFor(db, dataDir, Map.of("domain", "other.example"));
    DomainMismatchException e = assertThrows(DomainMismatchException.class,
        () -> Homeserver.start(other, List.of(), Clock.systemUTC()));
    assertEquals("this homeserver's home domain is example.org but the configuration says other.example; "
        + "the home domain is fixed at setup and cannot change (every user id and credential names it)", e.getMessage());
  }

  @Test
  void initFixesTheDomainSoLaterStartsNeedNone() throws Exception {
    String db = TestPostgres.freshDatabase().jdbcUrl();
    Path file = dataDir.resolve("homeserver.yaml");
    Files.writeString(file, "data-dir: " + dataDir + "\ndatabase:\n  url: " + db + "\n"
        + "secrets:\n  key-encryption-key: " + TestHomeserver.KEY_ENCRYPTION_KEY + "\n");
    Cli init = Cli.run("--config", file.toString(), "init", "--domain", "example.org");
    assertEquals(0, init.status, init.err);
    assertTrue(init.out.contains("home domain: example.org"), init.out);

    HomeserverConfig noDomain = TestHomeserver.configFor(db, dataDir, Map.of("domain", ""));
    try (TestHomeserver hs = TestHomeserver.start(noDomain, List.of())) {
      assertEquals("example.org", hs.server.domain());
    }
    Cli again = Cli.run("--config", file.toString(), "init", "--domain", "elsewhere.example");
    assertEquals(Main.EXIT_CONFIG, again.status);
    assertTrue(again.err.startsWith("error: this homeserver's home domain is example.org but the configuration says "
        + "elsewhere.example"), again.err);
  }

  @Test
  void noDomainAnywhereIsRefused() throws Exception {
    HomeserverConfig config = TestHomeserver.configFor(TestPostgres.freshDatabase().jdbcUrl(), dataDir,
        Map.of("domain", ""));
    DomainMismatchException e = assertThrows(DomainMismatchException.class,
        () -> Homeserver.start(config, List.of(), Clock.systemUTC()));
    assertTrue(e.getMessage().startsWith("no home domain is set: run `homeserver init --domain example.org`"));
  }

  @Test
  void eachInvalidConfigurationValueGivesOneLineAndExitStatusTwo() throws Exception {
    Path file = dataDir.resolve("bad.yaml");
    Files.writeString(file, """
        domain: Not A Domain
        server:
          port: 0
        admin:
          token: short
        auth:
          registration: sometimes
          credential-validity: 10y
        logging:
          level: loud
        """);
    for (String command : new String[] {"check-config", "serve"}) {
      Cli cli = Cli.run("--config", file.toString(), command);
      assertEquals(Main.EXIT_CONFIG, cli.status, cli.err);
      List<String> lines = cli.err.lines().toList();
      assertEquals(6, lines.size(), cli.err);
      for (String key : List.of("domain", "server.port", "admin.token", "auth.registration", "auth.credential-validity",
          "logging.level")) {
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("config: " + key + ": must be ")), key + " in " + cli.err);
      }
    }
    Files.writeString(file, "domain: example.org\n");
    Cli good = Cli.run("--config", file.toString(), "check-config");
    assertEquals(0, good.status, good.err);
  }

  @Test
  void theConfigurationFileMayBeNamedBeforeOrAfterTheCommand() throws Exception {
    Path bad = Files.writeString(dataDir.resolve("bad.yaml"), "server:\n  port: 0\n");
    for (List<String> args : List.of(List.of("-c", bad.toString(), "serve"), List.of("serve", "-c", bad.toString()),
        List.of("serve", "--service", "auth", "--config", bad.toString()), List.of("check-config", "-c", bad.toString()),
        List.of("admin", "users", "list", "--config", bad.toString()))) {
      Cli cli = Cli.run(args.toArray(String[]::new));
      assertEquals(Main.EXIT_CONFIG, cli.status, args + ": " + cli.err);
      assertEquals(List.of("config: server.port: must be an integer from 1 to 65535 (got \"0\" from " + bad + ")"),
          cli.err.lines().toList(), args.toString());
    }
    Path good = Files.writeString(dataDir.resolve("good.yaml"), "domain: example.org\n");
    for (List<String> args : List.of(List.of("--config", good.toString(), "check-config"),
        List.of("check-config", "--config", good.toString()))) {
      Cli cli = Cli.run(args.toArray(String[]::new));
      assertEquals(0, cli.status, args + ": " + cli.err);
      assertEquals("configuration is valid", cli.out.strip(), args.toString());
    }
  }

  @Test
  void oneServiceAloneNeedsSharedStorageSignallingAndAnInternalToken() throws Exception {
    HomeserverConfig bare = TestHomeserver.configFor(null, dataDir, Map.of());
    ConfigException e = assertThrows(ConfigException.class, () -> Homeserver.start(bare, List.of("auth"), Clock.systemUTC()));
    assertEquals(List.of("database.url", "redis.url", "internal.token"),
        e.problems().stream().map(p -> p.substring("config: ".length(), p.indexOf(": must"))).toList());
    e.problems().forEach(p -> assertTrue(p.contains(": must be set when services run as separate processes"), p));
    ConfigException unknown = assertThrows(ConfigException.class,
        () -> Homeserver.start(bare, List.of("nonsense"), Clock.systemUTC()));
    assertEquals("unknown service nonsense; this build has: auth, directory, keypackage, delivery, notifier, federation", unknown.getMessage());
  }

  @Test
  void metricsAndReflectionAreServed() throws Exception {
    try (TestHomeserver hs = TestHomeserver.start(Map.of())) {
      hs.registerUser("measured");
      HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + hs.server.metricsPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.body().contains(
          "grpc_server_calls_seconds_count{code=\"OK\",method=\"RegisterUser\",service=\"homeserver.auth.v1.AuthService\"} 1"),
          metrics.body());

      CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
      StreamObserver<ServerReflectionRequest> request = ServerReflectionGrpc.newStub(hs.channel).serverReflectionInfo(
          new StreamObserver<>() {
            @Override public void onNext(ServerReflectionResponse value) { answer.complete(value); }
            @Override public void onError(Throwable t) { answer.completeExceptionally(t); }
            @Override public void onCompleted() {}
          });
      request.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
      request.onCompleted();
      List<String> services = answer.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
          .map(s -> s.getName()).toList();
      assertTrue(services.contains("homeserver.auth.v1.AuthService"), services.toString());
      assertTrue(!services.contains("homeserver.auth.v1.AuthInternalService"), "internal APIs stay off the public port");
      assertTrue(!services.contains("homeserver.admin.v1.AdminService"), "admin stays on the admin port");
    }
  }

  static ServingStatus health(ManagedChannel channel, String service) {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  /** One run of the command line, with what it printed. */
  record Cli(int status, String out, String err) {
    static Cli run(String... args) {
      return run(Main.commandLine(), args);
    }

    /** One more run of a command line already built (picocli resets its options before each parse). */
    static Cli run(CommandLine cli, String... args) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      cli.setOut(new PrintWriter(out, true));
      cli.setErr(new PrintWriter(err, true));
      int status = cli.execute(args);
      return new Cli(status, out.toString(), err.toString());
    }
  }
}
