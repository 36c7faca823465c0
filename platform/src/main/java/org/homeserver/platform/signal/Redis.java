package org.homeserver.platform.signal;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's Redis connections (one for commands, one for subscriptions), to a single Redis or
 * to a Redis Cluster, shared by the Redis signalling, revocation list, rate limiter and push job
 * store. Every key and channel is prefixed by a namespace. Callers see the commands both kinds have
 * ({@link #sync()}, {@link #async()}); on a cluster, a command or script that touches several keys
 * needs them all in one slot, which a hash tag ({@code {...}} in the key names) gives.
 *
 * <p>Redis is a hint, never the only copy of anything, so its outages must cost little: commands
 * fail at once while a connection is down (instead of queueing until it returns) or after
 * {@link #COMMAND_TIMEOUT}, and a probe every {@link #PROBE_INTERVAL} keeps {@link #up()} true to
 * what a round trip does now, so callers skip Redis while it is down and their fallbacks answer.
 * Lettuce reconnects by itself (and on a cluster follows slots that move, refreshing its view of
 * the cluster now and then and whenever a node redirects a command); {@link #onReconnect}
 * listeners restore what Redis forgot.
 */
public final class Redis implements AutoCloseable {
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
  static final Duration PROBE_INTERVAL = Duration.ofMillis(500);
  /** How often a cluster connection asks the cluster where the slots are, besides after a redirect. */
  static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(10);
  private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
  private static final SocketOptions SOCKET =
      SocketOptions.builder().connectTimeout(COMMAND_TIMEOUT).keepAlive(true).build();
  private static final Logger log = LoggerFactory.getLogger(Redis.class);

  private final AbstractRedisClient client;
  private final StatefulConnection<String, byte[]> connection;
  private final RedisClusterCommands<String, byte[]> sync;
  private final RedisClusterAsyncCommands<String, byte[]> async;
  private final PubSub pubSub;
  private final boolean cluster;
  /** Opens the connections to masters that have none yet (cluster only); run by the probe. */
  private final Runnable connectToMasters;
  private final String namespace;
  private final List<Runnable> reconnectListeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService prober =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("redis-probe").daemon().factory());
  private volatile boolean up = true;
  /** System.nanoTime() when Redis last came back; the first connection counts as long ago. */
  private volatile long upSince = System.nanoTime() - Duration.ofDays(1).toNanos();

  private Redis(RedisClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
    StatefulRedisConnection<String, byte[]> commands = client.connect(CODEC);
    this.connection = commands;
    this.sync = commands.sync();
    this.async = commands.async();
    this.pubSub = new PlainPubSub(async, client.connectPubSub(CODEC));
    this.cluster = false;
    this.connectToMasters = () -> {};
    startProbing();
  }

  private Redis(RedisClusterClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
    StatefulRedisClusterConnection<String, byte[]> commands = client.connect(CODEC);
    this.connection = commands;
    this.sync = commands.sync();
    this.async = commands.async();
    StatefulRedisClusterPubSubConnection<String, byte[]> subscriptions = client.connectPubSub(CODEC);
    this.pubSub = new ShardedPubSub(client, async, subscriptions);
    this.cluster = true;
    this.connectToMasters = () -> connectToMasters(client, commands, subscriptions);
    try {
      connectToMasters(client, commands, subscriptions).get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      log.warn("not every Redis Cluster master could be reached at start; commands on their slots fail until they are", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    startProbing();
  }

  /**
   * Lettuce opens the connection to each master of a cluster on first use, and with
   * REJECT_COMMANDS rejects a command whose node connection is still opening: so this opens them
   * to every master at once (and, run by the probe, to any master the cluster gains).
   */
  private static CompletableFuture<Void> connectToMasters(RedisClusterClient client,
      StatefulRedisClusterConnection<String, byte[]> commands, StatefulRedisClusterPubSubConnection<String, byte[]> pubSub) {
    List<CompletableFuture<?>> opening = new ArrayList<>();
    for (RedisClusterNode node : client.getPartitions()) {
      if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
        opening.add(commands.getConnectionAsync(node.getUri().getHost(), node.getUri().getPort()));
        opening.add(pubSub.getConnectionAsync(node.getUri().getHost(), node.getUri().getPort()));
      }
    }
    return CompletableFuture.allOf(opening.toArray(CompletableFuture[]::new));
  }

  private void startProbing() {
    prober.scheduleWithFixedDelay(this::probe, PROBE_INTERVAL.toMillis(), PROBE_INTERVAL.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** Connects to the single Redis at {@code url} (redis://host:port); fails at once if it cannot be reached. */
  public static Redis connect(String url, String namespace) {
    RedisClient client = RedisClient.create(uri(url));
    client.setOptions(ClientOptions.builder()
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
        .socketOptions(SOCKET)
        .build());
    try {
      return new Redis(client, namespace);
    } catch (RuntimeException e) {
      client.shutdown();
      throw e;
    }
  }

  /**
   * Connects to the Redis Cluster that the seed nodes {@code seeds} (redis://host:port, separated by
   * commas; one reachable is enough) belong to; fails at once if none can be reached.
   */
  public static Redis connectCluster(String seeds, String namespace) {
    RedisClusterClient client = RedisClusterClient.create(Arrays.stream(seeds.split(",")).map(String::trim).map(Redis::uri).toList());
    client.setOptions(ClusterClientOptions.builder()
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
        .socketOptions(SOCKET)
        .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
            .enablePeriodicRefresh(TOPOLOGY_REFRESH)
            .enableAdaptiveRefreshTrigger(ClusterTopologyRefreshOptions.RefreshTrigger.MOVED_REDIRECT,
                ClusterTopologyRefreshOptions.RefreshTrigger.ASK_REDIRECT,
                ClusterTopologyRefreshOptions.RefreshTrigger.PERSISTENT_RECONNECTS,
                ClusterTopologyRefreshOptions.RefreshTrigger.UNCOVERED_SLOT,
                ClusterTopologyRefreshOptions.RefreshTrigger.UNKNOWN_NODE)
            // Lettuce's default (30 s) would skip the refresh after a resharding that closely follows another.
            .adaptiveRefreshTriggersTimeout(Duration.ofSeconds(1))
            .build())
        .build());
    try {
      return new Redis(client, namespace);
    } catch (RuntimeException e) {
      client.shutdown();
      throw e;
    }
  }

  private static RedisURI uri(String url) {
    RedisURI uri = RedisURI.create(url);
    uri.setTimeout(COMMAND_TIMEOUT);
    return uri;
  }

  /** The key or channel name for {@code name} in this namespace. */
  public String key(String name) {
    return namespace + name;
  }

  /**
   * The key {@code name} in this namespace, hash-tagged by {@code tag}: on a cluster all keys with
   * one tag live in one slot, so a script or transaction may touch them together. (The namespace
   * has no braces, so the tag is the key's first {@code {...}}.) Tag as narrowly as the atomic
   * operations allow, so that the keys still spread over the masters.
   */
  public String key(String tag, String name) {
    return namespace + "{" + tag + "}" + name;
  }

  /** Whether this is a Redis Cluster rather than a single Redis. */
  public boolean cluster() {
    return cluster;
  }

  /** Blocking commands, each failing at once while Redis is down. */
  public RedisClusterCommands<String, byte[]> sync() {
    return sync;
  }

  /** Commands that do not wait for their answer. */
  public RedisClusterAsyncCommands<String, byte[]> async() {
    return async;
  }

  PubSub pubSub() {
    return pubSub;
  }

  /** Whether both connections are open and the last probe got its answer. */
  public boolean up() {
    return up;
  }

  /** How long Redis has answered without a break: zero while it is down. */
  public Duration upFor() {
    return up ? Duration.ofNanos(System.nanoTime() - upSince) : Duration.ZERO;
  }

  /**
   * Runs {@code listener} each time Redis is back after being down, on the probe's thread: it may
   * have restarted empty, and subscriptions or consumer groups need making again.
   */
  public void onReconnect(Runnable listener) {
    reconnectListeners.add(listener);
  }

  private void probe() {
    try {
      connectToMasters.run();
    } catch (RuntimeException e) {
      // Only a head start for the next commands; the probe must go on whatever happens here.
      log.debug("opening connections to the cluster's masters failed", e);
    }
    boolean answered;
    try {
      answered = connection.isOpen() && pubSub.isOpen()
          && "PONG".equals(async.ping().get(PROBE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS));
    } catch (Exception e) {
      answered = false;
    }
    if (answered == up) {
      return;
    }
    if (answered) {
      upSince = System.nanoTime();
    }
    up = answered;
    if (answered) {
      log.info("Redis answers again; signals, shared rate limits and push jobs go through it again");
      for (Runnable listener : reconnectListeners) {
        try {
          listener.run();
        } catch (RuntimeException e) {
          log.warn("restoring state in Redis after it came back failed", e);
        }
      }
    } else {
      log.warn("Redis does not answer: Listen streams poll PostgreSQL, rate limits count per process, "
          + "revocations are reloaded from PostgreSQL every few seconds, and push jobs wait until it is back");
    }
  }

  @Override
  public void close() {
    prober.shutdownNow();
    pubSub.close();
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
