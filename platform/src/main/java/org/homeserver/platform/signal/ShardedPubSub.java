package org.homeserver.platform.signal;

import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.RedisClusterPubSubAdapter;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SPUBLISH and SSUBSCRIBE on a Redis Cluster: Lettuce sends each to the master serving the
 * channel's slot. When a slot moves to another master, the old one ends its subscriptions with a
 * {@code sunsubscribe} of its own; each such channel that still has a subscriber here is subscribed
 * again at the new owner, after a topology refresh tells Lettuce where that is, and retried until
 * the new owner confirms. Until then {@link #settled()} is false, so whoever waits for signals polls;
 * so it is while the connection to any master is down.
 */
final class ShardedPubSub implements PubSub {
  /** How soon a failed re-subscription is tried again (the cluster may not yet agree on the slot's owner). */
  private static final Duration RETRY = Duration.ofMillis(200);
  private static final Logger log = LoggerFactory.getLogger(ShardedPubSub.class);
  private final RedisClusterClient client;
  private final RedisClusterAsyncCommands<String, byte[]> commands;
  private final StatefulRedisClusterPubSubConnection<String, byte[]> connection;
  /** The channels this process wants; Redis dropping one of these is a slot that moved. */
  private final Set<String> wanted = ConcurrentHashMap.newKeySet();
  /** The channels dropped by Redis and not yet confirmed at their new owner. */
  private final Set<String> renewing = ConcurrentHashMap.newKeySet();

  ShardedPubSub(RedisClusterClient client, RedisClusterAsyncCommands<String, byte[]> commands,
                StatefulRedisClusterPubSubConnection<String, byte[]> connection) {
    this.client = client;
    this.commands = commands;
    this.connection = connection;
    connection.addListener(new RedisClusterPubSubAdapter<>() {
      @Override
      public void sunsubscribed(RedisClusterNode node, String channel, long count) {
        dropped(channel);
      }
    });
  }

  @Override
  public void publish(String channel, byte[] message) {
    commands.spublish(channel, message);
  }

  @Override
  public CompletionStage<Void> subscribe(String channel) {
    wanted.add(channel);
    return connection.async().ssubscribe(channel);
  }

  @Override
  public void unsubscribe(String channel) {
    wanted.remove(channel);
    renewing.remove(channel);
    connection.async().sunsubscribe(channel);
  }

  @Override
  public void onMessage(BiConsumer<String, byte[]> receiver) {
    connection.addListener(new RedisClusterPubSubAdapter<>() {
      @Override
      public void smessage(RedisClusterNode node, String channel, byte[] message) {
        receiver.accept(channel, message);
      }
    });
  }

  @Override
  public boolean settled() {
    return renewing.isEmpty() && connectedToEveryMaster();
  }

  /**
   * Whether the subscription connection to every master is open: with one master down the cluster
   * may still answer the probe, but the signals on that master's channels are lost.
   */
  private boolean connectedToEveryMaster() {
    try {
      for (RedisClusterNode node : connection.getPartitions()) {
        if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
          CompletableFuture<StatefulRedisPubSubConnection<String, byte[]>> opened =
              connection.getConnectionAsync(node.getUri().getHost(), node.getUri().getPort());
          if (!opened.isDone() || opened.isCompletedExceptionally() || !opened.join().isOpen()) {
            return false;
          }
        }
      }
      return true;
    } catch (RuntimeException e) {
      return false;   // the connection is closed, or its view of the cluster is being replaced
    }
  }

  @Override
  public boolean isOpen() {
    return connection.isOpen();
  }

  @Override
  public void close() {
    wanted.clear();
    connection.close();
  }

  /** Redis ended a subscription: ours (unsubscribe) if the channel is no longer wanted, else its slot moved. */
  private void dropped(String channel) {
    if (wanted.contains(channel) && renewing.add(channel)) {
      log.info("Redis moved the slot of signal channel {}; subscribing again at its new owner", channel);
      renew(channel);
    }
  }

  /** Runs on Lettuce's threads, so it never waits: refresh, subscribe, and on failure try again later. */
  private void renew(String channel) {
    client.refreshPartitionsAsync()
        .thenCompose(refreshed -> connection.async().ssubscribe(channel))
        .whenComplete((confirmed, failure) -> {
          if (failure == null || !wanted.contains(channel)) {
            renewing.remove(channel);
            return;
          }
          log.debug("subscribing to {} again failed; trying again", channel, failure);
          CompletableFuture.delayedExecutor(RETRY.toMillis(), TimeUnit.MILLISECONDS).execute(() -> renew(channel));
        });
  }
}
