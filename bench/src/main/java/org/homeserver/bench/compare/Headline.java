package org.homeserver.bench.compare;

import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The six figures a comparison ends with, each taken at the point {@link ComparisonPlan} names:
 * 1:1 messages/s of the homeserver, RabbitMQ and pgbench at 100 pairs (200 senders), deliveries/s
 * into a 1,000-member group, the p99 send-to-receive latency at an offered 1,000 messages/s, and the
 * server's heap with 10,000 idle Listen streams.
 */
record Headline(double oneToOneMessagesPerSecond, double rabbitMqMessagesPerSecond, double pgbenchTps,
                double group1000DeliveriesPerSecond, double p99MillisAt1000PerSecond, double idle10kStreamsHeapMegabytes) {

  static Headline of(HomeserverPhases.Results homeserver, Anchors.Results anchors) {
    int pairs = ComparisonPlan.COMPARED_PAIRS;
    return new Headline(
        homeserver.pairs().get(pairs).figures().acceptedPerSecond(),
        anchors.rabbitMq().get(pairs).messagesPerSecond(),
        anchors.pgbench().get(pairs).tps(),
        homeserver.groups().get(ComparisonPlan.COMPARED_GROUP_SIZE).figures().receivedPerSecond(),
        homeserver.openLoop().figures().latencyMicros().getValueAtPercentile(99) / 1e3,
        homeserver.idle().with().heapUsedBytes() / 1e6);
  }

  /** The figures as one line of JSON, under the names scripts read them by, to one decimal. */
  String json() {
    Map<String, Double> figures = new LinkedHashMap<>();
    figures.put("one_to_one_msgs_per_s", oneDecimal(oneToOneMessagesPerSecond));
    figures.put("rabbitmq_msgs_per_s", oneDecimal(rabbitMqMessagesPerSecond));
    figures.put("pgbench_tps", oneDecimal(pgbenchTps));
    figures.put("group_1000_deliveries_per_s", oneDecimal(group1000DeliveriesPerSecond));
    figures.put("p99_ms_at_1000_per_s", oneDecimal(p99MillisAt1000PerSecond));
    figures.put("idle_10k_streams_heap_mb", oneDecimal(idle10kStreamsHeapMegabytes));
    return JsonMapper.shared().writeValueAsString(figures);
  }

  private static double oneDecimal(double x) {
    return Math.round(x * 10) / 10.0;
  }
}
