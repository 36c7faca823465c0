package org.homeserver.bench.compare;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.homeserver.bench.compare.LineChart.Axis;
import org.homeserver.bench.compare.LineChart.Point;

/**
 * The comparison's two plots: 1:1 messages/s against concurrent clients (homeserver, RabbitMQ,
 * pgbench), and deliveries/s against group size (homeserver, RabbitMQ's fan-out). Both y axes are
 * logarithmic: the curves lie an order of magnitude and more apart, and equal gaps are equal ratios.
 */
final class CurveCharts {
  static final String ONE_TO_ONE = "one-to-one.png";
  static final String GROUPS = "groups.png";

  private CurveCharts() {}

  static void write(Path directory, HomeserverPhases.Results homeserver, Anchors.Results anchors) throws IOException {
    new LineChart("1:1 messages/s against concurrent clients (all sending, closed loop)",
        new Axis("concurrent clients (pairs x 2; pgbench: its clients, at most PostgreSQL's max_connections - 10)", false),
        new Axis("messages/s (pgbench: transactions/s)", true))
        .add("homeserver", byPairs(homeserver.pairs(), r -> r.figures().acceptedPerSecond()))
        .add("RabbitMQ", byPairs(anchors.rabbitMq(), r -> r.messagesPerSecond()))
        .add("pgbench (tps)", byPairs(anchors.pgbench(), p -> p.tps()))
        .write(directory.resolve(ONE_TO_ONE));
    new LineChart("Deliveries/s against group size (" + ComparisonPlan.GROUP_SENDERS + " senders, closed loop)",
        new Axis("members per group", true),
        new Axis("deliveries/s (messages x recipients)", true))
        .add("homeserver", bySize(homeserver.groups(), r -> r.figures().receivedPerSecond()))
        .add("RabbitMQ fan-out", bySize(anchors.fanout(), RabbitMqFanout.Result::deliveriesPerSecond))
        .write(directory.resolve(GROUPS));
  }

  /** A point per pairs count, at x = its clients. */
  private static <T> List<Point> byPairs(Map<Integer, T> results, ToDoubleFunction<T> y) {
    return results.entrySet().stream().map(e -> new Point(2.0 * e.getKey(), y.applyAsDouble(e.getValue()))).toList();
  }

  private static <T> List<Point> bySize(Map<Integer, T> results, ToDoubleFunction<T> y) {
    return results.entrySet().stream().map(e -> new Point(e.getKey(), y.applyAsDouble(e.getValue()))).toList();
  }
}
