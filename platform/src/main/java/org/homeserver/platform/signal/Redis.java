package org.homeserver.platform.signal;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's Redis connections (one for commands, one for subscriptions), shared by the Redis
 * signalling, revocation list, rate limiter and push job store. Every key and channel is prefixed
 * by a namespace.
 *
 * <p>Redis is a hint, never the only copy of anything, so its outages must cost little: commands
 * fail at once while a connection is down (instead of queueing until it returns) or after
 * {@link #COMMAND_TIMEOUT}, and a probe every {@link #PROBE_INTERVAL} keeps {@link #up()} true to
 * what a round trip does now, so callers skip Redis while it is down and their fallbacks answer.
 * Lettuce reconnects by itself; {@link #onReconnect} listeners restore what Redis forgot.
 */
public final class Redis implements AutoCloseable {
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
  static final Duration PROBE_INTERVAL = Duration.ofMillis(500);
  private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
  private static final Logger log = LoggerFactory.getLogger(Redis.class);

  private final RedisClient client;
  private final StatefulRedisConnection<String, byte[]> commands;
  private final StatefulRedisPubSubConnection<String, byte[]> pubSub;
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
    this.commands = client.connect(CODEC);
    this.pubSub = client.connectPubSub(CODEC);
    prober.scheduleWithFixedDelay(this::probe, PROBE_INTERVAL.toMillis(), PROBE_INTERVAL.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** Connects to {@code url} (redis://host:port); fails at once if Redis cannot be reached. */
  public static Redis connect(String url, String namespace) {
    RedisURI uri = RedisURI.create(url);
    uri.setTimeout(COMMAND_TIMEOUT);
    RedisClient client = RedisClient.create(uri);
    client.setOptions(ClientOptions.builder()
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
        .socketOptions(SocketOptions.builder().connectTimeout(COMMAND_TIMEOUT).keepAlive(true).build())
        .build());
    try {
      return new Redis(client, namespace);
    } catch (RuntimeException e) {
      client.shutdown();
      throw e;
    }
  }

  /** The key or channel name for {@code name} in this namespace. */
  public String key(String name) {
    return namespace + name;
  }

  public StatefulRedisConnection<String, byte[]> commands() {
    return commands;
  }

  StatefulRedisPubSubConnection<String, byte[]> pubSub() {
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
    boolean answered;
    try {
      answered = commands.isOpen() && pubSub.isOpen()
          && "PONG".equals(commands.async().ping().get(PROBE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS));
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
    commands.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
