package org.homeserver.platform.grpc;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.homeserver.platform.auth.AccessTokens;
import org.homeserver.platform.auth.AuthInterceptor;
import org.homeserver.platform.grpc.tls.InternalPortTls;
import org.homeserver.platform.health.Dependencies;
import org.homeserver.platform.net.AddressBlock;
import org.homeserver.platform.grpc.tls.PlaintextWarning;
import org.homeserver.platform.grpc.tls.PublicPortTls;
import org.homeserver.platform.metrics.MetricsInterceptor;

/**
 * Builds the process's gRPC servers from its service modules: the public port (client APIs with
 * token authentication, health and reflection), the internal API (in-process or on its own port)
 * and the admin port. Handlers run on virtual threads; every server maps errors the same way.
 */
public final class GrpcServers {

  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  /** How long a connection to the internal port lives before the caller is asked to make a new one. */
  static final Duration CONNECTION_AGE = Duration.ofMinutes(5);
  static final Duration CONNECTION_AGE_GRACE = Duration.ofMinutes(1);
  private final MeterRegistry meters;
  private volatile Dependencies dependencies;
  private final HealthStatusManager health = new HealthStatusManager();
  /** The client services of each module on the public port, whose health follows the module's dependencies. */
  private final Map<String, List<String>> servicesOf = new ConcurrentHashMap<>();

  public GrpcServers(MeterRegistry meters) {
    this.meters = meters;
  }

  public HealthStatusManager health() {
    return health;
  }

  /**
   * The public port: every module's client services, health checking and, if asked, reflection;
   * over TLS when given, else plaintext with a warning unless only this machine can reach it. Behind
   * {@code trustedProxies}, callers' addresses are read from X-Forwarded-For.
   */
  public Server publicServer(String host, int port, Optional<PublicPortTls> tls, List<ServiceModule> modules,
                             AccessTokens.Verifier verifier, long maxRequestBytes, boolean reflection,
                             List<AddressBlock> trustedProxies)
      throws IOException {
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
        .executor(executor)
        // Up to twice the limit a request is read and refused with REQUEST_TOO_LARGE; beyond, unread.
        .maxInboundMessageSize(Math.toIntExact(2 * maxRequestBytes))
        .permitKeepAliveTime(20, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true);
    tls.ifPresentOrElse(t -> builder.sslContext(t.sslContext()), () -> PlaintextWarning.unlessLoopback(host));
    for (ServiceModule module : modules) {
      ServerInterceptor auth = new AuthInterceptor(verifier, module.publicMethods());
      long limit = Math.min(maxRequestBytes, module.maxRequestBytes());
      List<String> names = new ArrayList<>();
      for (BindableService service : module.clientServices()) {
        ServerServiceDefinition definition = service.bindService();
        builder.addService(intercepted(definition, new PeerAddress(trustedProxies), auth, new RequestSizeInterceptor(limit)));
        names.add(definition.getServiceDescriptor().getName());
      }
      servicesOf.put(module.name(), names);
    }
    builder.addService(health.getHealthService());
    if (reflection) {
      builder.addService(ProtoReflectionServiceV1.newInstance());
    }
    Server server = builder.build().start();
    followHealth();
    return server;
  }

  /**
   * Keeps health true to the dependencies from now on: a module's services are NOT_SERVING while a
   * dependency it cannot serve without is down, and the whole server ("") while any module is.
   */
  public void followDependencies(Dependencies dependencies) {
    this.dependencies = dependencies;
    dependencies.onChange(this::followHealth);
    followHealth();
  }

  private synchronized void followHealth() {
    boolean all = true;
    for (Map.Entry<String, List<String>> module : servicesOf.entrySet()) {
      boolean serving = dependencies == null || dependencies.serviceCanServe(module.getKey());
      all &= serving;
      module.getValue().forEach(name -> health.setStatus(name, serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING));
    }
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, all ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  /** The internal APIs, in-process under {@code name}, for the services of this process. */
  public Server inProcessInternalServer(String name, List<ServiceModule> modules) throws IOException {
    InProcessServerBuilder builder = InProcessServerBuilder.forName(name).executor(executor);
    modules.forEach(m -> m.internalServices().forEach(s -> builder.addService(intercepted(s.bindService()))));
    return builder.build().start();
  }

  /**
   * The internal APIs on a network port (one service per process), behind the services' shared token
   * and, when given, the operator's mutual TLS. Connections are closed after {@link #CONNECTION_AGE}
   * (calls running then get a grace period), so callers resolve the service's name again and spread
   * over instances started since.
   */
  public Server networkInternalServer(String host, int port, List<ServiceModule> modules, String token,
                                      Optional<InternalPortTls> tls) throws IOException {
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(host, port)).executor(executor)
        .maxConnectionAge(CONNECTION_AGE.toSeconds(), TimeUnit.SECONDS)
        .maxConnectionAgeGrace(CONNECTION_AGE_GRACE.toSeconds(), TimeUnit.SECONDS);
    tls.ifPresent(t -> builder.sslContext(t.server()));
    ServerInterceptor shared = new SharedTokenInterceptor(token, "the internal API");
    modules.forEach(m -> m.internalServices().forEach(s -> builder.addService(intercepted(s.bindService(), shared))));
    builder.addService(health.getHealthService());
    return builder.build().start();
  }

  /**
   * The health port: plaintext, serving nothing but grpc.health.v1.Health with the statuses of the
   * public port, for probes that cannot speak TLS (Kubernetes' gRPC probes).
   */
  public Server healthServer(String host, int port) throws IOException {
    return NettyServerBuilder.forAddress(new InetSocketAddress(host, port)).executor(executor)
        .addService(health.getHealthService())
        .build().start();
  }

  /** The admin port: admin services behind the operator's token. */
  public Server adminServer(String host, int port, List<ServiceModule> modules, String adminToken,
                            List<BindableService> extra) throws IOException {
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(host, port)).executor(executor);
    ServerInterceptor admin = new SharedTokenInterceptor(adminToken, "the admin API");
    List<BindableService> services = new ArrayList<>(extra);
    modules.forEach(m -> services.addAll(m.adminServices()));
    services.forEach(s -> builder.addService(intercepted(s.bindService(), admin)));
    return builder.build().start();
  }

  /**
   * The chain every service gets, outermost first: metrics (which so see the status error mapping
   * closes a failed call with), error mapping, then {@code inner} in order. Requests arrive still
   * serialized: a message that does not parse is an error the mapping answers like any other, and
   * the size check happens before parsing. Once parsed, the request is checked against the rules
   * its .proto files declare.
   */
  private ServerServiceDefinition intercepted(ServerServiceDefinition definition, ServerInterceptor... inner) {
    return intercepted(definition, meters, inner);
  }

  /**
   * The chain of {@link #intercepted(ServerServiceDefinition, ServerInterceptor...)}, for servers a
   * service builds itself (the federation port): {@code inner} interceptors see each request as
   * the bytes that arrived, before it is parsed.
   */
  public static ServerServiceDefinition intercepted(ServerServiceDefinition definition, MeterRegistry meters,
                                                    ServerInterceptor... inner) {
    ServerServiceDefinition parsedLate = ServerInterceptors.useInputStreamMessages(
        ServerInterceptors.intercept(definition, new RequestRulesInterceptor()));
    List<ServerInterceptor> chain = new ArrayList<>(List.of(inner).reversed());
    chain.add(new ErrorMappingInterceptor());
    chain.add(new MetricsInterceptor(meters));
    // ServerInterceptors.intercept calls the last interceptor first.
    return ServerInterceptors.intercept(parsedLate, chain);
  }

  /** Marks everything NOT_SERVING, for a graceful shutdown. */
  public void enterShutdown() {
    health.enterTerminalState();
  }

  public void shutdownExecutor() {
    executor.shutdown();
  }
}
