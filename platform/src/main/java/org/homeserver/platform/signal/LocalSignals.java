package org.homeserver.platform.signal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/** Signals within one process: the single-process default, needing no Redis. */
public final class LocalSignals implements Signals {
  private final Listeners listeners = new Listeners();
  private final ExecutorService dispatcher =
      Executors.newSingleThreadExecutor(Thread.ofPlatform().name("signals").daemon().factory());

  @Override
  public void publish(String channel, byte[] message) {
    byte[] copy = message.clone();
    try {
      dispatcher.execute(() -> listeners.dispatch(channel, copy));
    } catch (RejectedExecutionException closed) {
      // After close nothing is delivered, as with a closed Redis connection.
    }
  }

  @Override
  public Subscription subscribe(String channel, Consumer<byte[]> listener) {
    listeners.add(channel, listener);
    return () -> listeners.remove(channel, listener);
  }

  @Override
  public String kind() {
    return "in-process";
  }

  @Override
  public boolean healthy() {
    return !dispatcher.isShutdown();
  }

  @Override
  public boolean reliable() {
    return healthy();
  }

  @Override
  public void close() {
    dispatcher.shutdown();
  }
}
