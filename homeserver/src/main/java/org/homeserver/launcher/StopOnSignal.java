package org.homeserver.launcher;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * How a serving process stops on SIGTERM or Ctrl-C: one JVM shutdown hook, registered before
 * anything starts, that waits for the start to end, closes what it started in order
 * ({@link Homeserver#close}), and ends the process with status 0, since a stop asked for and
 * carried out is no failure (the JVM would exit with 143 after SIGTERM).
 */
final class StopOnSignal {
  private final CompletableFuture<Homeserver> started = new CompletableFuture<>();
  private final Thread hook = new Thread(this::stop, "shutdown");

  private StopOnSignal() {}

  /** Runs {@code start} with the hook in place; a start that fails has closed what it opened, and takes the hook away. */
  static Homeserver start(Callable<Homeserver> start) throws Exception {
    StopOnSignal stop = new StopOnSignal();
    Runtime.getRuntime().addShutdownHook(stop.hook);
    try {
      Homeserver server = start.call();
      stop.started.complete(server);
      return server;
    } catch (Exception | Error e) {
      stop.started.completeExceptionally(e);
      try {
        Runtime.getRuntime().removeShutdownHook(stop.hook);
      } catch (IllegalStateException shuttingDown) {
        // The hook runs already: it sees the failed start and returns.
      }
      throw e;
    }
  }

  private void stop() {
    Homeserver server;
    try {
      server = started.join();
    } catch (CompletionException failedStart) {
      return;
    }
    server.close();
    Runtime.getRuntime().halt(0);
  }
}
