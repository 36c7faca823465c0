package org.homeserver.launcher;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.auth.v1.AuthInternalServiceGrpc;
import org.homeserver.auth.AuthModule;
import org.homeserver.platform.ServiceContext;
import org.homeserver.platform.auth.AccessTokens;
import org.homeserver.platform.auth.RemoteTokenKeys;
import org.homeserver.platform.auth.RevocationList;
import org.homeserver.platform.config.ConfigException;
import org.homeserver.platform.config.HomeserverConfig;
import org.homeserver.platform.grpc.GrpcServers;
import org.homeserver.platform.grpc.ServiceModule;
import org.homeserver.platform.metrics.Metrics;
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
  /** The services this build has, in start order. */
  public static final List<String> SERVICES = List.of(AuthModule.NAME);

  private static final Logger log = LoggerFactory.getLogger(Homeserver.class);

  private final List<AutoCloseable> resources = new ArrayList<>();
  private final Storage storage;
  private final String domain;
  private final GrpcServers servers;
  private Server publicServer;
  private Server adminServer;
  private int metricsPort;

  private Homeserver(Storage storage, String domain, GrpcServers servers) {
    this.storage = storage;
    this.domain = domain;
    this.servers = servers;
  }

  /** Starts the given services (all of {@link #SERVICES} when empty) as configured. */
  public static Homeserver start(HomeserverConfig config, List<String> only, Clock clock) throws Exception {
    List<String> services = only.isEmpty() ? SERVICES : List.copyOf(only);
    for (String s : services) {
      if (!SERVICES.contains(s)) {
        throw new ConfigException("unknown service " + s + "; this build has: " + String.join(", ", SERVICES));
      }
    }
    if (!only.isEmpty() && config.database().url().isEmpty()) {
      throw new ConfigException("config: database.url: must be set when services run as separate processes "
          + "(serve --service); they share one PostgreSQL, which the embedded one cannot be");
    }
    Storage storage = Storage.open(config);
    Homeserver server = null;
    try {
      String domain = storage.settleDomain(config.domain(), clock);
      Metrics metrics = new Metrics();
      server = new Homeserver(storage, domain, new GrpcServers(metrics.registry()));
      server.resources.add(metrics);
      server.run(config, services, !only.isEmpty(), clock, metrics);
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

  private void run(HomeserverConfig config, List<String> services, boolean alone, Clock clock, Metrics metrics)
      throws Exception {
    Optional<Redis> redis = config.redisUrl().map(url -> Redis.connect(url, config.redisKeyPrefix()));
    redis.ifPresent(resources::add);
    if (redis.isEmpty() && alone) {
      throw new ConfigException("config: redis.url: must be set when services run as separate processes "
          + "(serve --service); signalling, revocations and rate limits are shared through Redis");
    }
    Signals signals = redis.<Signals>map(RedisSignals::new).orElseGet(LocalSignals::new);
    resources.add(signals);
    RevocationList revocations = new RevocationList(signals, redis, config.auth().accessTokenTtl(), clock);
    resources.add(revocations);

    String inProcessName = "homeserver-internal-" + UUID.randomUUID();
    Channels channels = new Channels(config, services, inProcessName);
    resources.add(channels);
    ServiceContext context = new ServiceContext(config, domain, clock, storage.location(), signals, redis,
        metrics.registry(), revocations, channels::channel,
        new ServiceContext.ProcessInfo(Version.current(), clock.instant(), services));

    List<ServiceModule> modules = new ArrayList<>();
    for (String name : services) {
      ServiceModule module = switch (name) {
        case AuthModule.NAME -> AuthModule.start(context);
        default -> throw new IllegalStateException("no module " + name);
      };
      modules.add(module);
      resources.add(module);
    }

    Server inProcess = servers.inProcessInternalServer(inProcessName, modules);
    resources.add(() -> stop(inProcess));
    if (alone) {
      // The other services, in other processes, reach this one's internal API over the network.
      Server network = servers.networkInternalServer(config.internal().host(), config.internal().port(), modules);
      resources.add(() -> stop(network));
    }

    AccessTokens.Verifier verifier = new AccessTokens.Verifier(
        new RemoteTokenKeys(AuthInternalServiceGrpc.newBlockingStub(channels.channel(AuthModule.NAME)), clock),
        revocations, clock);
    publicServer = servers.publicServer(config.server().host(), config.server().port(), modules, verifier,
        config.maxRequestBytes(), config.reflection());
    resources.add(() -> stop(publicServer));

    if (config.admin().enabled()) {
      String token = AdminToken.settle(config);
      adminServer = servers.adminServer(config.admin().host(), config.admin().port(), modules, token, List.of());
      resources.add(() -> stop(adminServer));
    }
    if (config.metrics().enabled()) {
      metricsPort = metrics.serve(config.metrics().host(), config.metrics().port());
    }
    log.info("homeserver {} serving {} on {}:{}", domain, String.join(", ", services), config.server().host(),
        publicServer.getPort());
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

  @Override
  public void close() {
    servers.enterShutdown();
    for (AutoCloseable resource : resources.reversed()) {
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("while shutting down", e);
      }
    }
    servers.shutdownExecutor();
    storage.close();
  }

  private static void stop(Server server) throws InterruptedException {
    server.shutdown();
    if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
      server.shutdownNow();
    }
  }

  /** Channels to the internal APIs: in-process for services here, the configured address for others. */
  private static final class Channels implements AutoCloseable {
    private final Map<String, ManagedChannel> channels = new LinkedHashMap<>();

    Channels(HomeserverConfig config, List<String> local, String inProcessName) throws ConfigException {
      for (String name : SERVICES) {
        if (local.contains(name)) {
          channels.put(name, InProcessChannelBuilder.forName(inProcessName).directExecutor().build());
        } else {
          String address = addressOf(config, name).orElseThrow(() -> new ConfigException("config: services." + name
              + ".address: must be set when " + name + " does not run in this process"));
          channels.put(name, NettyChannelBuilder.forTarget(address).usePlaintext().build());
        }
      }
    }

    private static Optional<String> addressOf(HomeserverConfig config, String name) {
      return switch (name) {
        case AuthModule.NAME -> config.authAddress();
        default -> Optional.empty();
      };
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
