package org.homeserver.bench.load;

import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The idle-listen run: the server's heap with many idle Listen streams. Registers the clients, reads
 * the server's heap after a full collection, opens a Listen stream per client, waits until every
 * stream got its QueueEmpty, and reads the heap again.
 */
public final class IdleListenRun {
  /** A run's figures: the server's memory before and with the streams, and anything that went wrong. */
  public record Result(int streams, ServerProcess.Memory before, ServerProcess.Memory with, Duration registration,
                Duration opening, Map<Status.Code, Long> streamsEnded) {
    public long heapPerStream() {
      return (with.heapUsedBytes() - before.heapUsedBytes()) / streams;
    }
  }

  private final Plan plan;
  private final Connections connections;
  private final ServerProcess server;
  private final Progress progress;

  public IdleListenRun(Plan plan, Connections connections, ServerProcess server, Progress progress) {
    this.plan = plan;
    this.connections = connections;
    this.server = server;
    this.progress = progress;
  }

  public Result run() throws Exception {
    long start = System.nanoTime();
    List<SimulatedClient> clients = progress.step("registering " + plan.clients() + " clients",
        () -> new Registrations(connections, MessageRun.SETUP_PARALLELISM).register(plan.clients()));
    Duration registration = Duration.ofNanos(System.nanoTime() - start);
    ServerProcess.Memory before = progress.step("measuring the server's heap (jcmd GC.run, GC.heap_info)",
        server::memoryAfterFullGc);
    start = System.nanoTime();
    try (Listeners listeners = new Listeners(clients)) {
      try (AutoCloseable ticker = progress.every(Duration.ofSeconds(5), () ->
          "streams waiting for their QueueEmpty: " + listeners.backlogsPending())) {
        progress.step("opening " + clients.size() + " Listen streams", () -> {
          if (!listeners.awaitBacklogs(MessageRun.BACKLOG_TIMEOUT)) {
            throw new IllegalStateException(listeners.backlogsPending() + " Listen streams got no QueueEmpty within "
                + Progress.seconds(MessageRun.BACKLOG_TIMEOUT));
          }
          return null;
        });
      }
      Duration opening = Duration.ofNanos(System.nanoTime() - start);
      ServerProcess.Memory with = progress.step("measuring the server's heap again", server::memoryAfterFullGc);
      return new Result(clients.size(), before, with, registration, opening, listeners.ended());
    }
  }
}
