package org.homeserver.bench.load;

import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A run that sends (one-to-one, big-group): registers the clients, opens their Listen streams,
 * builds the groups, then sends for the warm-up and the measured window, and waits for the window's
 * messages to arrive.
 */
public final class MessageRun {
  /** Registrations and group set-up in flight at once: enough to keep a small server busy. */
  public static final int SETUP_PARALLELISM = 16;
  static final Duration BACKLOG_TIMEOUT = Duration.ofMinutes(5);
  /** After sending, deliveries may still arrive for this long... */
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);
  /** ... unless none arrived for this long. */
  private static final Duration DRAIN_QUIET = Duration.ofSeconds(5);

  /** A run's figures, with what it took to set up and anything that went wrong on the streams. */
  public record Result(Measurement.Result figures, long expectedDeliveries, Duration registration, Duration groupSetup,
                Map<Status.Code, Long> streamsEnded, long ackFailures) {
    public long missingDeliveries() {
      return Math.max(0, expectedDeliveries - figures.delivered());
    }
  }

  private final Plan plan;
  private final Connections connections;
  private final Progress progress;

  public MessageRun(Plan plan, Connections connections, Progress progress) {
    this.plan = plan;
    this.connections = connections;
    this.progress = progress;
  }

  /** Registers the plan's clients, then runs with them ({@link #run(List, Duration)}). */
  public Result run() throws Exception {
    long start = System.nanoTime();
    List<SimulatedClient> clients = progress.step("registering " + plan.clients() + " clients",
        () -> new Registrations(connections, SETUP_PARALLELISM).register(plan.clients()));
    return run(clients, since(start));
  }

  /**
   * The run with the plan's clients registered beforehand, which took {@code registration}:
   * bench/compare registers each phase's clients under user names of its own, on a server that
   * serves several phases.
   */
  public Result run(List<SimulatedClient> clients, Duration registration) throws Exception {
    try (Listeners listeners = progress.step("opening " + clients.size() + " Listen streams",
        () -> openListeners(clients))) {
      long start = System.nanoTime();
      List<BenchGroup> groups = progress.step("creating " + plan.groups() + " groups of " + plan.groupSize(),
          () -> GroupSetup.create(clients, plan.groupSize(), SETUP_PARALLELISM));
      Duration groupSetup = since(start);
      Senders senders = new Senders(Senders.choose(groups, plan.senders()), plan.messageBytes());
      Phase sent = measure(plan, plan.pacing(), listeners, senders, plan.recipientsPerMessage(), Duration.ZERO,
          progress);
      return new Result(sent.figures(), sent.expectedDeliveries(), registration, groupSetup, listeners.ended(),
          listeners.ackFailures());
    }
  }

  /** One measured sending: its figures and the deliveries its accepted messages owed. */
  record Phase(Measurement.Result figures, long expectedDeliveries) {
    long missingDeliveries() {
      return Math.max(0, expectedDeliveries - figures.delivered());
    }

    /** Deliveries of the window's messages beyond those owed: a message delivered twice, or to its sender. */
    long extraDeliveries() {
      return Math.max(0, figures.delivered() - expectedDeliveries);
    }
  }

  /**
   * Sends with {@code senders}, paced by {@code pacing}, for the plan's warm-up and window, each message timed when one of
   * {@code listeners} receives it, then waits for the window's last deliveries
   * ({@code recipientsPerMessage} for each accepted message). With a positive {@code settle}, it
   * then waits until no queue entry at all arrived for that long (at most {@link #BACKLOG_TIMEOUT}),
   * so that the next phase starts behind no backlog and a delivery beyond those owed still counts.
   */
  static Phase measure(Plan plan, Pacing pacing, Listeners listeners, Senders senders, int recipientsPerMessage,
      Duration settle, Progress progress) throws Exception {
    Measurement m = new Measurement(plan.warmup(), plan.duration());
    listeners.measureInto(m);
    try (AutoCloseable ticker = progress.every(Duration.ofSeconds(5), () -> "sends accepted in the window: "
        + m.acceptedSoFar() + ", deliveries: " + m.deliveredSoFar() + ", queue entries received: "
        + listeners.entries())) {
      progress.step("sending: " + Progress.seconds(plan.warmup()) + " warm-up, then "
          + Progress.seconds(plan.duration()) + " measured", () -> {
        senders.run(pacing, m);
        return null;
      });
      long expected = m.acceptedSoFar() * recipientsPerMessage;
      progress.step("waiting for the last deliveries", () -> {
        drain(m, expected);
        return null;
      });
      if (settle.isPositive()) {
        progress.step("waiting until no queue entry arrived for " + Progress.seconds(settle), () -> {
          awaitArrivals(listeners::entries, Long.MAX_VALUE, BACKLOG_TIMEOUT, settle);
          return null;
        });
      }
      return new Phase(m.result(), expected);
    }
  }

  static Listeners openListeners(List<SimulatedClient> clients) throws InterruptedException {
    Listeners listeners = new Listeners(clients);
    if (!listeners.awaitBacklogs(BACKLOG_TIMEOUT)) {
      listeners.close();
      throw new IllegalStateException(listeners.backlogsPending() + " Listen streams got no QueueEmpty within "
          + Progress.seconds(BACKLOG_TIMEOUT));
    }
    return listeners;
  }

  /** Waits until every expected delivery arrived, none arrived for a while, or the drain timed out. */
  private static void drain(Measurement m, long expected) throws InterruptedException {
    awaitArrivals(m::deliveredSoFar, expected, DRAIN_TIMEOUT, DRAIN_QUIET);
  }

  /** Waits until {@code arrived} reaches {@code expected}, stays the same for {@code quiet}, or {@code timeout} passed. */
  static void awaitArrivals(LongSupplier arrived, long expected, Duration timeout, Duration quiet)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long last = -1;
    long lastProgress = System.nanoTime();
    while (arrived.getAsLong() < expected && System.nanoTime() < deadline
        && System.nanoTime() - lastProgress < quiet.toNanos()) {
      long now = arrived.getAsLong();
      if (now != last) {
        last = now;
        lastProgress = System.nanoTime();
      }
      Thread.sleep(100);
    }
  }

  private static Duration since(long start) {
    return Duration.ofNanos(System.nanoTime() - start);
  }
}
