package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.homeserver.api.common.v1.Exposure;
import org.homeserver.platform.grpc.ApiCatalog;
import org.homeserver.platform.grpc.ApiCatalog.ApiService;
import org.homeserver.platform.testing.RedisClusterProcess;
import org.homeserver.platform.testing.TestCertificateAuthority;
import org.homeserver.platform.testing.TestCertificateAuthority.Issued;
import org.homeserver.platform.testing.TestCertificateAuthority.KeyFormat;
import org.homeserver.platform.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The homeserver scaled out as an operator runs it on one machine: every service in its own
 * process (`serve --service`, the delivery service twice), mutual TLS between them with the test's
 * CA as the operator's, PostgreSQL and a three-master Redis Cluster shared, and nginx from the
 * operating system's package in front, configured by deploy/nginx, serving the clients over TLS.
 * The interop/ scenarios (ts-mls clients) all run through the gateway at once; meanwhile one
 * delivery process is killed and the Redis Cluster is resharded, and every scenario still passes:
 * each checks that every member got every message exactly once.
 */
@ExtendWith(ScaledOutTest.Logs.class)
class ScaledOutTest {
  private static final List<String> SCENARIOS =
      List.of("connection", "big-group", "offline", "grease", "suites", "refusals", "filtering");
  /** The scenario that runs longest, which must still be running when the faults come. */
  private static final String LONGEST = "big-group";
  /** Process names: the service, and for the delivery service which of its two processes. */
  private static final List<String> PROCESSES =
      List.of("auth", "directory", "keypackage", "delivery-1", "delivery-2", "notifier", "federation");

  private static final Map<String, HomeserverProcess> processes = new LinkedHashMap<>();
  /** The processes a test killed, which the others leave out. */
  private static final Set<String> killed = ConcurrentHashMap.newKeySet();
  private static final Map<String, Integer> publicPorts = new HashMap<>();
  private static final Map<String, Integer> internalPorts = new HashMap<>();
  private static final Map<String, Integer> healthPorts = new HashMap<>();
  private static RedisClusterProcess redis;
  private static NginxGateway gateway;
  private static ManagedChannel channel;
  private static Path clientCaFile;

  @BeforeAll
  static void start() throws Exception {
    Path dir = Files.createTempDirectory("scaled-out");
    TestCertificateAuthority operatorCa = TestCertificateAuthority.create("Operator CA for the services");
    operatorCa.writeCertificate(dir.resolve("operator-ca.pem"));
    Issued services = operatorCa.issueForBothEnds("homeserver services");
    services.writeChain(dir.resolve("services.pem"));
    services.writeKey(dir.resolve("services.key"), KeyFormat.PKCS8);
    TestCertificateAuthority clientCa = TestCertificateAuthority.create("CA clients trust");
    clientCaFile = dir.resolve("client-ca.pem");
    clientCa.writeCertificate(clientCaFile);
    Issued gatewayCertificate = clientCa.issue("localhost");
    gatewayCertificate.writeChain(dir.resolve("gateway.pem"));
    gatewayCertificate.writeKey(dir.resolve("gateway.key"), KeyFormat.PKCS8);

    for (String name : PROCESSES) {
      publicPorts.put(name, TestHomeserver.freePort());
      internalPorts.put(name, TestHomeserver.freePort());
      healthPorts.put(name, TestHomeserver.freePort());
    }
    redis = RedisClusterProcess.start();
    Map<String, String> shared = new HashMap<>(Map.of(
        "database.url", TestPostgres.freshDatabase().jdbcUrl(),
        "redis.url", redis.url(),
        "redis.cluster", "true",
        "internal.token", "scaled-out-test-" + UUID.randomUUID(),
        "internal.tls.certificate-file", dir.resolve("services.pem").toString(),
        "internal.tls.key-file", dir.resolve("services.key").toString(),
        "internal.tls.ca-file", dir.resolve("operator-ca.pem").toString(),
        "server.trusted-proxies", "127.0.0.1",
        "directory.lookups-per-minute", "100000"));
    for (String service : Homeserver.SERVICES) {
      shared.put("services." + service + ".address", instances(service).stream()
          .map(p -> "127.0.0.1:" + internalPorts.get(p)).collect(Collectors.joining(",")));
    }
    // The auth service first: the others fetch its token keys as they start.
    startProcess("auth", shared);
    try (ExecutorService starting = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> started = new ArrayList<>();
      for (String name : PROCESSES.subList(1, PROCESSES.size())) {
        started.add(starting.submit(() -> startProcess(name, shared)));
      }
      for (Future<?> done : started) {
        done.get();
      }
    }
    Map<String, List<Integer>> upstreams = new LinkedHashMap<>();
    for (String service : Homeserver.SERVICES) {
      upstreams.put(service, instances(service).stream().map(publicPorts::get).toList());
    }
    gateway = NginxGateway.start(upstreams, dir.resolve("gateway.pem"), dir.resolve("gateway.key"));
    channel = TlsProbe.channel(gateway.port, clientCa.certificate());
  }

  /** The processes that run {@code service}. */
  private static List<String> instances(String service) {
    return PROCESSES.stream().filter(p -> p.equals(service) || p.startsWith(service + "-")).toList();
  }

  private static Void startProcess(String name, Map<String, String> shared) throws Exception {
    Map<String, String> settings = new HashMap<>(shared);
    settings.put("server.port", Integer.toString(publicPorts.get(name)));
    settings.put("internal.port", Integer.toString(internalPorts.get(name)));
    settings.put("health.port", Integer.toString(healthPorts.get(name)));
    HomeserverProcess process = HomeserverProcess.startService(name.replaceAll("-[0-9]+$", ""), settings);
    synchronized (processes) {
      processes.put(name, process);
    }
    return null;
  }

  @AfterAll
  static void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (gateway != null) {
      gateway.close();
    }
    processes.values().forEach(HomeserverProcess::close);
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void theGatewayRoutesEachClientServiceToItsProcessAndNothingElse() {
    for (ApiService service : ApiCatalog.services(Exposure.EXPOSURE_CLIENT)) {
      // An empty request without a token: refused by the service (UNAUTHENTICATED, INVALID_ARGUMENT)
      // or answered, but never UNIMPLEMENTED, which a process serving another service would say.
      Status.Code code = call(service.fullName() + "/" + service.methods().getFirst().name());
      assertNotEquals(Status.Code.UNIMPLEMENTED, code, service.fullName() + " is not routed to its service");
    }
    for (ApiService service : ApiCatalog.services()) {
      if (service.exposure() != Exposure.EXPOSURE_CLIENT) {
        assertEquals(Status.Code.UNIMPLEMENTED, call(service.fullName() + "/" + service.methods().getFirst().name()),
            service.fullName() + " (" + service.exposure() + ") must not be reachable through the gateway");
      }
    }
    assertEquals(Status.Code.UNIMPLEMENTED, call("homeserver.nothing.v1.NothingService/Nothing"));
  }

  @Test
  void eachProcessAnswersHealthChecksOnItsPlaintextHealthPort() {
    for (String name : PROCESSES) {
      if (killed.contains(name)) {
        continue;
      }
      ManagedChannel health = NettyChannelBuilder.forAddress("127.0.0.1", healthPorts.get(name)).usePlaintext().build();
      try {
        assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(health).withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus(), name);
      } finally {
        health.shutdownNow();
      }
    }
  }

  @Test
  void interopScenariosPassThroughTheGatewayWhileADeliveryProcessIsKilledAndRedisResharded() throws Exception {
    InteropScenarios scenarios = InteropScenarios.start(
        List.of("--target", "localhost:" + gateway.port, "--ca", clientCaFile.toString()), SCENARIOS);
    scenarios.awaitNextEnd();
    assertTrue(scenarios.running(LONGEST), LONGEST + " ended before the kill: the test would prove nothing");
    killed.add("delivery-1");
    processes.get("delivery-1").kill();
    scenarios.awaitNextEnd();
    assertTrue(scenarios.running(LONGEST), LONGEST + " ended before the reshard: the test would prove nothing");
    // The slots in use on the master of the notifier's job queue (its keys are tagged {notifier}):
    // the queue's and those of the signal channels subscribed there, moved to another master.
    String jobs = "{notifier}";
    int from = redis.masterOf(jobs);
    Set<Integer> slots = redis.slotsInUse(from, List.of(jobs));
    assertTrue(slots.size() > 1, "no signal channel is subscribed on master " + from + ": " + slots);
    redis.moveSlots(slots, from, (from + 1) % 3);
    scenarios.assertAllPass();
    assertTrue(processes.values().stream().anyMatch(p -> p.logTail(100_000).contains("subscribing again at its new owner")),
        "no process renewed a subscription whose slot moved");
  }

  /** Calls {@code method} (service/method) through the gateway with an empty request; its status code. */
  private static Status.Code call(String method) {
    MethodDescriptor<InputStream, InputStream> descriptor = MethodDescriptor.<InputStream, InputStream>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(method)
        .setRequestMarshaller(RawBytes.INSTANCE).setResponseMarshaller(RawBytes.INSTANCE).build();
    try {
      ClientCalls.blockingUnaryCall(channel, descriptor, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
          new ByteArrayInputStream(new byte[0]));
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  /** Messages as the bytes on the wire, whatever the method. */
  private enum RawBytes implements MethodDescriptor.Marshaller<InputStream> {
    INSTANCE;

    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    @Override
    public InputStream parse(InputStream stream) {
      try {
        return new ByteArrayInputStream(stream.readAllBytes());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** Prints the end of every process's log and nginx's when a test fails. */
  static final class Logs implements TestWatcher {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      processes.forEach((name, process) -> System.err.println("== " + name + " (" + process.logPath() + ")\n"
          + process.logTail(60)));
      if (gateway != null) {
        System.err.println(gateway.logTail(60));
      }
      if (redis != null) {
        System.err.println(redis.logs());
      }
    }
  }
}
