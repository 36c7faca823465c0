package org.homeserver.platform.signal;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signals over Redis pub/sub (PUBLISH/SUBSCRIBE on a single Redis, SPUBLISH/SSUBSCRIBE on a
 * cluster), reaching every process connected to the same Redis. Neither publishing nor subscribing
 * fails or waits for a Redis that is down: signals are lost meanwhile, and {@link #reliable()} says
 * so until the subscriptions are made again and have settled; on a cluster also while a channel
 * whose slot moved is being subscribed again at its new master.
 */
public final class RedisSignals implements Signals {
  /** How long after Redis is back signals still count as unreliable: the subscriptions are being renewed. */
  static final Duration SETTLE = Duration.ofSeconds(2);
  private static final Logger log = LoggerFactory.getLogger(RedisSignals.class);
  private final Redis redis;
  private final Listeners listeners = new Listeners();

  public RedisSignals(Redis redis) {
    this.redis = redis;
    redis.pubSub().onMessage(listeners::dispatch);
    // Lettuce renews the subscriptions it knows of; a subscription asked for while Redis was down
    // it never knew, so every channel with listeners is asked for again.
    redis.onReconnect(() -> listeners.channels().forEach(this::subscribeQuietly));
  }

  @Override
  public void publish(String channel, byte[] message) {
    if (!redis.up()) {
      return;
    }
    try {
      redis.pubSub().publish(redis.key(channel), message);
    } catch (RuntimeException e) {
      log.debug("signal on {} not published", channel, e);
    }
  }

  @Override
  public Subscription subscribe(String channel, Consumer<byte[]> listener) {
    String key = redis.key(channel);
    if (listeners.add(key, listener) && redis.up()) {
      // Waits for Redis to confirm, so whatever is published after this returns reaches the
      // listener; while Redis is down it does not wait (the subscription is made when it is back).
      try {
        redis.pubSub().subscribe(key).toCompletableFuture().get(Redis.COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException | RuntimeException e) {
        log.debug("subscribing to {} failed; it is made again when Redis is back", key, e);
      }
    }
    return () -> {
      if (listeners.remove(key, listener)) {
        try {
          redis.pubSub().unsubscribe(key);
        } catch (RuntimeException e) {
          log.debug("unsubscribing from {} failed", key, e);
        }
      }
    };
  }

  private void subscribeQuietly(String key) {
    try {
      redis.pubSub().subscribe(key);
    } catch (RuntimeException e) {
      log.debug("subscribing to {} failed; it is made again when Redis is back", key, e);
    }
  }

  @Override
  public String kind() {
    return "redis";
  }

  @Override
  public boolean healthy() {
    return redis.up();
  }

  @Override
  public boolean reliable() {
    return redis.upFor().compareTo(SETTLE) >= 0 && redis.pubSub().settled();
  }

  @Override
  public void close() {
    // The Redis connections belong to the process and are closed with it.
  }
}
