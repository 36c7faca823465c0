package org.homeserver.launcher;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.homeserver.api.auth.v1.AuthInternalServiceGrpc;
import org.homeserver.auth.AuthModule;
import org.homeserver.auth.AuthSettings;
import org.homeserver.delivery.DeliveryModule;
import org.homeserver.delivery.DeliverySettings;
import org.homeserver.directory.DirectoryModule;
import org.homeserver.directory.DirectorySettings;
import org.homeserver.federation.FederationModule;
import org.homeserver.federation.FederationSettings;
import org.homeserver.keypackage.KeyPackageModule;
import org.homeserver.keypackage.KeyPackageSettings;
import org.homeserver.notifier.NotifierModule;
import org.homeserver.notifier.NotifierSettings;
import org.homeserver.platform.tasks.Tasks;
import org.homeserver.platform.ServiceContext;
import org.homeserver.platform.auth.AccessTokens;
import org.homeserver.platform.auth.RemoteTokenKeys;
import org.homeserver.platform.auth.RevocationList;
import org.homeserver.platform.auth.RevocationReloads;
import org.homeserver.platform.config.ConfigException;
import org.homeserver.platform.config.ConfigLoader;
import org.homeserver.platform.config.ConfigSection;
import org.homeserver.platform.config.HomeserverConfig;
import org.homeserver.platform.grpc.GrpcServers;
import org.homeserver.platform.health.Dependencies;
import org.homeserver.platform.net.AddressBlock;
import org.homeserver.platform.grpc.ServiceModule;
import org.homeserver.platform.grpc.InternalChannels;
import org.homeserver.platform.grpc.tls.InternalPortTls;
import org.homeserver.platform.grpc.tls.PublicPortTls;
import org.homeserver.platform.metrics.Metrics;
import org.homeserver.platform.secrets.KeyEncryptionKeys;
import org.homeserver.platform.secrets.Sealer;
import org.homeserver.platform.signal.LocalSignals;
import org.homeserver.platform.signal.Redis;
import org.homeserver.platform.signal.RedisSignals;
import org.homeserver.platform.signal.Signals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running homeserver process: storage, signalling and metrics, the service modules it was asked
 * to run, and its gRPC servers. Every built service by default; one with {@code --service}.
 */
public final class Homeserver implements AutoCloseable {
  /**
   * A service this build has: how to start it, its configuration keys, where to reach it when it
   * runs elsewhere, and the services whose internal APIs it calls.
   */
  record BuiltService(String name, ModuleFactory start, ConfigSection<?> settings,
                      Function<HomeserverConfig, Optional<String>> address, List<String> calls) {}

  /** A service module's composition root. */
  interface ModuleFactory {
    ServiceModule start(ServiceContext context) throws Exception;
  }

  /** The services this build has, in start order. */
  static final List<BuiltService> BUILT = List.of(
      new BuiltService(AuthModule.NAME, AuthModule::start, AuthSettings.SECTION, HomeserverConfig::authAddress,
          List.of(FederationModule.NAME)),
      new BuiltService(DirectoryModule.NAME, DirectoryModule::start, DirectorySettings.SECTION,
          HomeserverConfig::directoryAddress,
          List.of(AuthModule.NAME, KeyPackageModule.NAME, DeliveryModule.NAME, NotifierModule.NAME,
              FederationModule.NAME)),
      new BuiltService(KeyPackageModule.NAME, KeyPackageModule::start, KeyPackageSettings.SECTION,
          HomeserverConfig::keyPackageAddress,
          List.of(AuthModule.NAME, DirectoryModule.NAME, DeliveryModule.NAME, FederationModule.NAME)),
      new BuiltService(DeliveryModule.NAME, DeliveryModule::start, DeliverySettings.SECTION,
          HomeserverConfig::deliveryAddress,
          List.of(AuthModule.NAME, DirectoryModule.NAME, KeyPackageModule.NAME, NotifierModule.NAME,
              FederationModule.NAME)),
      new BuiltService(NotifierModule.NAME, NotifierModule::start, NotifierSettings.SECTION,
          HomeserverConfig::notifierAddress, List.of()),
      new BuiltService(FederationModule.NAME, FederationModule::start, FederationSettings.SECTION,
          HomeserverConfig::federationAddress,
          List.of(AuthModule.NAME, DirectoryModule.NAME, KeyPackageModule.NAME, DeliveryModule.NAME)));
  public static final List<String> SERVICES = BUILT.stream().map(BuiltService::name).toList();

  /**
   * Reads the configuration: the shared keys and every built service's own, whichever services
   * this process runs, so one file serves every process of a deployment.
   */
  static ConfigLoader configLoader(Map<String, String> environment) {
    return new ConfigLoader(environment, BUILT.stream().<ConfigSection<?>>map(BuiltService::settings).toList());
  }

  /** How long running calls may take to finish at shutdown. */
  private static final Duration DRAIN = Duration.ofSeconds(10);
  private static final Logger log = LoggerFactory.getLogger(Homeserver.class);

  // What close() stops, in this order: the servers clients and operators call, the background work
  // (each module's, then the process's own), the internal servers that work may still call, the
  // modules' pools, the rest of the resources, and last the storage. Each list is stopped in reverse.
  private final List<Server> servers = new ArrayList<>();
  private final List<AutoCloseable> work = new ArrayList<>();
  private final List<ServiceModule> modules = new ArrayList<>();
  private final List<Server> internalServers = new ArrayList<>();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final Storage storage;
  private final String domain;
  private final GrpcServers grpc;
  private final Tasks tasks = new Tasks();
  private Server publicServer;
  private Server adminServer;
  private int metricsPort;

  private Homeserver(Storage storage, String domain, GrpcServers grpc) {
    this.storage = storage;
    this.domain = domain;
    this.grpc = grpc;
  }

  /** Starts the given services (all of {@link #SERVICES} when empty) as configured. */
  public static Homeserver start(HomeserverConfig config, List<String> only, Clock clock) throws Exception {
    List<BuiltService> services = only.isEmpty() ? BUILT : selected(only);
    boolean alone = !only.isEmpty();
    if (alone) {
      requireForSeparateProcesses(config);
    }
    Storage storage = Storage.open(config);
    Homeserver server = null;
    try {
      String domain = storage.settleDomain(config.domain(), clock);
      Metrics metrics = new Metrics();
      server = new Homeserver(storage, domain, new GrpcServers(metrics.registry()));
      server.work.add(metrics);
      server.run(config, services, alone, clock, metrics);
      return server;
    } catch (Exception | Error e) {
      if (server != null) {
        server.close();
      } else {
        storage.close();
      }
      throw e;
    }
  }

  private static List<BuiltService> selected(List<String> names) throws ConfigException {
    List<BuiltService> selected = new ArrayList<>();
    for (String name : names) {
      selected.add(BUILT.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow(() ->
          new ConfigException("unknown service " + name + "; this build has: " + String.join(", ", SERVICES))));
    }
    return selected;
  }

  /** Separate processes share one PostgreSQL and one Redis, and guard their internal APIs. */
  private static void requireForSeparateProcesses(HomeserverConfig config) throws ConfigException {
    List<String> problems = new ArrayList<>();
    String why = " must be set when services run as separate processes (serve --service)";
    if (config.database().url().isEmpty()) {
      problems.add("config: database.url:" + why + "; they share one PostgreSQL, which the embedded one cannot be");
    }
    if (config.redisUrl().isEmpty()) {
      problems.add("config: redis.url:" + why + "; signalling, revocations and rate limits are shared through Redis");
    }
    if (config.internalToken().isEmpty()) {
      problems.add("config: internal.token:" + why + "; it guards the internal API on the network");
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  private void run(HomeserverConfig config, List<BuiltService> services, boolean alone, Clock clock, Metrics metrics)
      throws Exception {
    Optional<Redis> redis = config.redisUrl().map(url -> config.redisCluster()
        ? Redis.connectCluster(url, config.redisKeyPrefix()) : Redis.connect(url, config.redisKeyPrefix()));
    redis.ifPresent(resources::add);
    Dependencies dependencies = new Dependencies(metrics.registry(), clock);
    work.add(dependencies);
    redis.ifPresent(r -> dependencies.register("redis", Optional.empty(), r::up));
    Signals signals = redis.<Signals>map(RedisSignals::new).orElseGet(LocalSignals::new);
    resources.add(signals);
    RevocationList revocations = new RevocationList(signals, config.settings(AuthSettings.SECTION).accessTokenTtl(), clock);
    resources.add(revocations);

    String inProcessName = "homeserver-internal-" + UUID.randomUUID();
    Optional<InternalPortTls> internalTls = alone ? InternalPortTls.start(config.internalTls()) : Optional.empty();
    internalTls.ifPresent(work::add);
    Channels channels = new Channels(config, services, inProcessName, internalTls);
    resources.add(channels);
    List<String> names = services.stream().map(BuiltService::name).toList();
    Sealer sealer = KeyEncryptionKeys.settle(config);
    ServiceContext context = new ServiceContext(config, domain, clock, storage.location(), sealer, signals, redis,
        metrics.registry(), dependencies, revocations, channels::channel,
        new ServiceContext.ProcessInfo(Version.current(), clock.instant(), names), tasks);

    for (BuiltService service : services) {
      modules.add(service.start().start(context));
    }
    internalServers.add(grpc.inProcessInternalServer(inProcessName, modules));
    if (alone) {
      // The other services, in other processes, reach this one's internal API over the network.
      internalServers.add(grpc.networkInternalServer(config.internal().host(), config.internal().port(), modules,
          config.internalToken().orElseThrow(), internalTls));
    }

    var auth = AuthInternalServiceGrpc.newBlockingStub(channels.channel(AuthModule.NAME));
    // No token is accepted before the recorded revocations are known.
    work.add(RevocationReloads.start(auth, revocations, signals));
    AccessTokens.Verifier verifier = new AccessTokens.Verifier(new RemoteTokenKeys(auth, clock), revocations, clock);
    Optional<PublicPortTls> tls = PublicPortTls.start(config.tls());
    tls.ifPresent(work::add);
    publicServer = serve(grpc.publicServer(config.server().host(), config.server().port(), tls, modules, verifier,
        config.maxRequestBytes(), config.reflection(), config.trustedProxies().stream().map(AddressBlock::parse).toList()));
    grpc.followDependencies(dependencies);
    if (config.health().enabled()) {
      serve(grpc.healthServer(config.health().host(), config.health().port()));
    }
    if (config.admin().enabled()) {
      adminServer = serve(grpc.adminServer(config.admin().host(), config.admin().port(), modules,
          AdminToken.settle(config), List.of()));
    }
    if (config.metrics().enabled()) {
      metricsPort = metrics.serve(config.metrics().host(), config.metrics().port());
    }
    log.info("homeserver {} serving {} on {}:{}", domain, String.join(", ", names), config.server().host(),
        publicServer.getPort());
  }

  private Server serve(Server server) {
    servers.add(server);
    return server;
  }

  /** The periodic tasks of this process's services, which tests run at once instead of waiting for them. */
  public Tasks tasks() {
    return tasks;
  }

  public String domain() {
    return domain;
  }

  public int port() {
    return publicServer.getPort();
  }

  public Optional<Integer> adminPort() {
    return Optional.ofNullable(adminServer).map(Server::getPort);
  }

  public int metricsPort() {
    return metricsPort;
  }

  public boolean embeddedDatabase() {
    return storage.location().embedded();
  }

  /** Blocks until the public server terminates. */
  public void awaitTermination() throws InterruptedException {
    publicServer.awaitTermination();
  }

  /**
   * Stops in the reverse order of the start: health reports NOT_SERVING and the public and admin
   * servers stop taking calls, the running ones get {@link #DRAIN} together to finish; then the
   * background work stops (each service's workers, sweeps and streams, then the token and
   * certificate reloads, health checks and metrics) while the internal APIs still answer it; then
   * the internal servers, the services' pools, signalling and Redis; last the storage (an embedded
   * PostgreSQL).
   */
  @Override
  public void close() {
    grpc.enterShutdown();
    drain(servers);
    modules.reversed().forEach(ServiceModule::stopWork);
    work.reversed().forEach(Homeserver::closeQuietly);
    drain(internalServers);
    modules.reversed().forEach(Homeserver::closeQuietly);
    resources.reversed().forEach(Homeserver::closeQuietly);
    grpc.shutdownExecutor();
    storage.close();
    log.info("homeserver {} stopped", domain);
  }

  /** Stops {@code stopping} taking calls and gives the running ones {@link #DRAIN} together to finish. */
  private static void drain(List<Server> stopping) {
    stopping.forEach(Server::shutdown);
    long deadline = System.nanoTime() + DRAIN.toNanos();
    try {
      for (Server server : stopping) {
        server.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stopping.forEach(Server::shutdownNow);
  }

  private static void closeQuietly(AutoCloseable resource) {
    try {
      resource.close();
    } catch (Exception e) {
      log.warn("while shutting down", e);
    }
  }

  /**
   * Channels to the internal APIs the process needs (the auth service's for token checks, and those
   * its services call): in-process for services here, the configured address for others.
   */
  private static final class Channels implements AutoCloseable {
    private final Map<String, ManagedChannel> channels = new LinkedHashMap<>();

    Channels(HomeserverConfig config, List<BuiltService> local, String inProcessName, Optional<InternalPortTls> tls)
        throws ConfigException {
      Set<String> needed = new HashSet<>(List.of(AuthModule.NAME));
      local.forEach(service -> needed.addAll(service.calls()));
      for (BuiltService service : BUILT) {
        if (!needed.contains(service.name()) && !local.contains(service)) {
          continue;
        }
        if (local.contains(service)) {
          channels.put(service.name(), InternalChannels.inProcess(inProcessName));
        } else {
          String address = service.address().apply(config).orElseThrow(() -> new ConfigException("config: services."
              + service.name() + ".address: must be set when " + service.name() + " does not run in this process"));
          channels.put(service.name(), InternalChannels.network(address, config.internalToken().orElseThrow(), tls));
        }
      }
    }

    Channel channel(String name) {
      ManagedChannel channel = channels.get(name);
      if (channel == null) {
        throw new IllegalArgumentException("no service " + name);
      }
      return channel;
    }

    @Override
    public void close() {
      channels.values().forEach(ManagedChannel::shutdownNow);
    }
  }
}
