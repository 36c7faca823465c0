package org.homeserver.bench.compare;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.homeserver.bench.load.Connections;
import org.homeserver.bench.load.IdleListenRun;
import org.homeserver.bench.load.MessageRun;
import org.homeserver.bench.load.Pacing;
import org.homeserver.bench.load.Plan;
import org.homeserver.bench.load.Progress;
import org.homeserver.bench.load.Registrations;
import org.homeserver.bench.load.ServerProcess;
import org.homeserver.bench.load.SimulatedClient;

/**
 * The homeserver's side of a comparison, every phase on one server process: bench/load's
 * idle-listen run first, on the fresh server, so its heap is the one bench/load measures; then each
 * point of the 1:1 curve, the open loop at 1,000 messages/s, and each group size, with bench/load's
 * MessageRun. Each of these phases has clients of its own, registered under user names of its own,
 * each client on a connection of its own that closes when the phase ends; what carries over from
 * phase to phase is the server's database (the clients and groups of earlier phases) and its warm JIT.
 */
final class HomeserverPhases {
  private static final String HOST = "127.0.0.1";

  /** What the homeserver did in each phase; the curves by pairs and by group size. */
  record Results(IdleListenRun.Result idle, Map<Integer, MessageRun.Result> pairs, MessageRun.Result openLoop,
                 Map<Integer, MessageRun.Result> groups) {}

  private final ComparisonPlan plan;
  private final ServerProcess server;
  private final Progress progress;

  HomeserverPhases(ComparisonPlan plan, ServerProcess server, Progress progress) {
    this.plan = plan;
    this.server = server;
    this.progress = progress;
  }

  Results run() throws Exception {
    IdleListenRun.Result idle = idle();
    Map<Integer, MessageRun.Result> pairs = new TreeMap<>();
    for (int n : plan.pairs()) {
      pairs.put(n, messages(n + " pairs, closed loop", "pairs" + n, plan.pairsPlan(n, new Pacing.Closed())));
    }
    MessageRun.Result openLoop = messages(
        ComparisonPlan.COMPARED_PAIRS + " pairs, open loop at " + rate(ComparisonPlan.OPEN_LOOP_RATE) + " messages/s",
        "open" + ComparisonPlan.COMPARED_PAIRS,
        plan.pairsPlan(ComparisonPlan.COMPARED_PAIRS, new Pacing.Open(ComparisonPlan.OPEN_LOOP_RATE)));
    Map<Integer, MessageRun.Result> groups = new TreeMap<>();
    for (int size : plan.groupSizes()) {
      int count = ComparisonPlan.groupsOf(size);
      groups.put(size, messages((count == 1 ? "one group" : count + " groups") + " of " + size + ", "
          + ComparisonPlan.GROUP_SENDERS + " senders, closed loop", "group" + size, plan.groupPlan(size)));
    }
    return new Results(idle, pairs, openLoop, groups);
  }

  /** bench/load's idle-listen run; it registers its clients as bench/load does (users load-user-00000 and on). */
  private IdleListenRun.Result idle() throws Exception {
    Plan idle = plan.idlePlan();
    progress.say("== homeserver: " + idle.clients() + " idle Listen streams");
    try (Connections connections = new Connections(HOST, server.port(), idle.connections())) {
      return new IdleListenRun(idle, connections, server, progress).run();
    }
  }

  /** bench/load's MessageRun of {@code phase}, its clients registered first as users {@code <users>-00000} and on. */
  private MessageRun.Result messages(String title, String users, Plan phase) throws Exception {
    progress.say("== homeserver: " + title);
    try (Connections connections = new Connections(HOST, server.port(), phase.connections())) {
      long start = System.nanoTime();
      List<SimulatedClient> clients = progress.step("registering " + phase.clients() + " clients",
          () -> new Registrations(connections, MessageRun.SETUP_PARALLELISM)
              .register(phase.clients(), Registrations.CLIENTS_PER_USER, users, 0));
      return new MessageRun(phase, connections, progress).run(clients, Duration.ofNanos(System.nanoTime() - start));
    }
  }

  private static String rate(double perSecond) {
    return String.format(Locale.ROOT, "%,.0f", perSecond);
  }
}
