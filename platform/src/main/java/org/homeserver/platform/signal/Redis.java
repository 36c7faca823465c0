package org.homeserver.platform.signal;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;

/**
 * The process's Redis connections (one for commands, one for subscriptions), shared by the Redis
 * signalling, revocation list and rate limiter. Every key and channel is prefixed by a namespace.
 */
public final class Redis implements AutoCloseable {
  private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
  private final RedisClient client;
  private final StatefulRedisConnection<String, byte[]> commands;
  private final StatefulRedisPubSubConnection<String, byte[]> pubSub;
  private final String namespace;

  private Redis(RedisClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
    this.commands = client.connect(CODEC);
    this.pubSub = client.connectPubSub(CODEC);
  }

  /** Connects to {@code url} (redis://host:port); fails at once if Redis cannot be reached. */
  public static Redis connect(String url, String namespace) {
    RedisURI uri = RedisURI.create(url);
    uri.setTimeout(Duration.ofSeconds(5));
    RedisClient client = RedisClient.create(uri);
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

  public boolean healthy() {
    try {
      return "PONG".equals(commands.sync().ping());
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close() {
    pubSub.close();
    commands.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
