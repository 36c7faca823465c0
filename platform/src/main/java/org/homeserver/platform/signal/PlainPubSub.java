package org.homeserver.platform.signal;

import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/** PUBLISH and SUBSCRIBE on a single Redis; Lettuce renews the subscriptions after a reconnect. */
final class PlainPubSub implements PubSub {
  private final RedisClusterAsyncCommands<String, byte[]> commands;
  private final StatefulRedisPubSubConnection<String, byte[]> connection;

  PlainPubSub(RedisClusterAsyncCommands<String, byte[]> commands, StatefulRedisPubSubConnection<String, byte[]> connection) {
    this.commands = commands;
    this.connection = connection;
  }

  @Override
  public void publish(String channel, byte[] message) {
    commands.publish(channel, message);
  }

  @Override
  public CompletionStage<Void> subscribe(String channel) {
    return connection.async().subscribe(channel);
  }

  @Override
  public void unsubscribe(String channel) {
    connection.async().unsubscribe(channel);
  }

  @Override
  public void onMessage(BiConsumer<String, byte[]> receiver) {
    connection.addListener(new RedisPubSubAdapter<>() {
      @Override
      public void message(String channel, byte[] message) {
        receiver.accept(channel, message);
      }
    });
  }

  @Override
  public boolean settled() {
    return true;
  }

  @Override
  public boolean isOpen() {
    return connection.isOpen();
  }

  @Override
  public void close() {
    connection.close();
  }
}
