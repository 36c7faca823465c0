package org.homeserver.platform.signal;

import java.util.function.Consumer;

/**
 * Fire-and-forget signals between the parts of the homeserver, across processes when Redis is used.
 * Publishing and subscribing never fail or wait, whatever the medium's state.
 * A signal says "look again" (a queue grew, a token was revoked); it is never the only copy of
 * data: a subscriber that misses one recovers from the database. Listeners are called on a
 * signalling thread, one signal at a time per instance, in the order each publisher sent them; they
 * must not block.
 */
public interface Signals extends AutoCloseable {
  /** Sends {@code message} to every current subscriber of {@code channel}, in any process. */
  void publish(String channel, byte[] message);

  /** Calls {@code listener} for every message on {@code channel} from now until the subscription is closed. */
  Subscription subscribe(String channel, Consumer<byte[]> listener);

  /** "redis" or "in-process", for status pages. */
  String kind();

  /** True when a round trip to the signalling medium works now. */
  boolean healthy();

  /**
   * False while signals may be lost: the medium is down, or came back so recently that not every
   * subscription is renewed. Whoever waits for signals then polls the database instead.
   */
  boolean reliable();

  @Override
  void close();

  /** Stops one listener. */
  interface Subscription extends AutoCloseable {
    @Override
    void close();
  }
}
