package org.homeserver.platform.signal;

import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/**
 * Subscribing and publishing through Redis: plain channels on a single Redis ({@link PlainPubSub}),
 * sharded channels on a Redis Cluster ({@link ShardedPubSub}), where each channel lives on the
 * master that serves its slot, so the load spreads over the masters as the keys' does. Channel
 * names carry no hash tag: each command names one channel, and untagged channels spread.
 */
sealed interface PubSub permits PlainPubSub, ShardedPubSub {
  /** Sends {@code message} on {@code channel} without waiting for Redis. */
  void publish(String channel, byte[] message);

  /** Subscribes this process to {@code channel}; completes once Redis confirms. */
  CompletionStage<Void> subscribe(String channel);

  /** Ends the subscription to {@code channel}, without waiting. */
  void unsubscribe(String channel);

  /** Calls {@code receiver} with each message on a subscribed channel, on Lettuce's event loop. */
  void onMessage(BiConsumer<String, byte[]> receiver);

  /** False while a subscription Redis dropped by itself (its slot moved) is not confirmed again. */
  boolean settled();

  boolean isOpen();

  void close();
}
