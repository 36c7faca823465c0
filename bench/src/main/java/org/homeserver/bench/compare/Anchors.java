package org.homeserver.bench.compare;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.homeserver.bench.load.Pgbench;
import org.homeserver.bench.load.Postgres;
import org.homeserver.bench.load.Progress;
import org.homeserver.bench.load.RabbitMq;

/**
 * What the homeserver is compared with, run once the homeserver has stopped: at each point of the
 * 1:1 curve pgbench (bench/load's Pgbench, as many clients as the homeserver had senders) and
 * RabbitMQ (bench/load's RabbitMq, as many senders), and at each group size RabbitMQ's fan-out
 * ({@link RabbitMqFanout}, the same groups and senders).
 */
final class Anchors {
  /** The anchors' figures: by pairs for the 1:1 curve, by group size for the group curve. */
  record Results(Map<Integer, Pgbench.Result> pgbench, Map<Integer, RabbitMq.Result> rabbitMq,
                 Map<Integer, RabbitMqFanout.Result> fanout) {}

  private final ComparisonPlan plan;
  private final Postgres postgres;
  private final String rabbitMqUri;
  private final Path runDirectory;
  private final String stamp;
  private final Progress progress;

  Anchors(ComparisonPlan plan, Postgres postgres, String rabbitMqUri, Path runDirectory, String stamp,
      Progress progress) {
    this.plan = plan;
    this.postgres = postgres;
    this.rabbitMqUri = rabbitMqUri;
    this.runDirectory = runDirectory;
    this.stamp = stamp;
    this.progress = progress;
  }

  Results run() throws Exception {
    return new Results(pgbench(), rabbitMq(), fanout());
  }

  /**
   * pgbench at each point, with as many clients as the point has senders. Once PostgreSQL's
   * max_connections caps the clients, every larger point would run the same capped pgbench, so it
   * takes that run's figures.
   */
  private Map<Integer, Pgbench.Result> pgbench() throws Exception {
    Map<Integer, Pgbench.Result> results = new TreeMap<>();
    Pgbench.Result capped = null;
    for (int pairs : plan.pairs()) {
      int clients = 2 * pairs;
      if (capped == null) {
        progress.say("== pgbench: a client per sender of " + pairs + " pairs, at most PostgreSQL's max_connections - 10");
        Path directory = Files.createDirectories(runDirectory.resolve("pgbench-" + clients));
        Pgbench.Result result = progress.step("pgbench, up to " + clients + " clients, " + Progress.seconds(plan.duration()),
            () -> Pgbench.run(postgres, directory, "bench_pgbench_" + stamp + "_" + clients, clients,
                plan.messageBytes(), plan.duration()));
        capped = result.clients() < result.requestedClients() ? result : null;
        results.put(pairs, result);
      } else {
        results.put(pairs, capped);
      }
    }
    return results;
  }

  /** RabbitMQ at each point: one durable queue and one closed-loop sender per sender of the point. */
  private Map<Integer, RabbitMq.Result> rabbitMq() throws Exception {
    Map<Integer, RabbitMq.Result> results = new TreeMap<>();
    for (int pairs : plan.pairs()) {
      int senders = 2 * pairs;
      progress.say("== RabbitMQ: " + senders + " senders, each to a queue of its own");
      results.put(pairs, progress.step("RabbitMQ, " + senders + " senders, " + Progress.seconds(plan.duration()),
          () -> RabbitMq.run(rabbitMqUri, senders, plan.messageBytes(), plan.duration())));
    }
    return results;
  }

  /** RabbitMQ's fan-out at each group size: the homeserver phase's groups and senders. */
  private Map<Integer, RabbitMqFanout.Result> fanout() throws Exception {
    Map<Integer, RabbitMqFanout.Result> results = new TreeMap<>();
    for (int size : plan.groupSizes()) {
      int groups = ComparisonPlan.groupsOf(size);
      progress.say("== RabbitMQ fan-out: " + groups + " x " + size + " durable queues, "
          + ComparisonPlan.GROUP_SENDERS + " senders");
      RabbitMqFanout.Result result = progress.step("RabbitMQ fan-out, " + Progress.seconds(plan.warmup())
              + " warm-up, then " + Progress.seconds(plan.duration()) + " measured",
          () -> RabbitMqFanout.run(rabbitMqUri, groups, size, ComparisonPlan.GROUP_SENDERS, plan.messageBytes(),
              plan.warmup(), plan.duration()));
      progress.say("declaring the queues, exchanges and bindings took " + Progress.seconds(result.setUp()));
      results.put(size, result);
    }
    return results;
  }
}
