package org.homeserver.platform.signal;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import java.util.function.Consumer;

/** Signals over Redis PUBLISH/SUBSCRIBE, reaching every process connected to the same Redis. */
public final class RedisSignals implements Signals {
  private final Redis redis;
  private final Listeners listeners = new Listeners();

  public RedisSignals(Redis redis) {
    this.redis = redis;
    redis.pubSub().addListener(new RedisPubSubAdapter<>() {
      @Override
      public void message(String channel, byte[] message) {
        listeners.dispatch(channel, message);
      }
    });
  }

  @Override
  public void publish(String channel, byte[] message) {
    redis.commands().async().publish(redis.key(channel), message);
  }

  @Override
  public Subscription subscribe(String channel, Consumer<byte[]> listener) {
    String key = redis.key(channel);
    if (listeners.add(key, listener)) {
      redis.pubSub().sync().subscribe(key);
    }
    return () -> {
      if (listeners.remove(key, listener)) {
        redis.pubSub().async().unsubscribe(key);
      }
    };
  }

  @Override
  public String kind() {
    return "redis";
  }

  @Override
  public boolean healthy() {
    return redis.healthy();
  }

  @Override
  public void close() {
    // The Redis connections belong to the process and are closed with it.
  }
}
