package org.homeserver.bench.compare;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;
import org.homeserver.bench.load.Machine;
import org.homeserver.bench.load.Measurement;
import org.homeserver.bench.load.MessageRun;
import org.homeserver.bench.load.Pgbench;
import org.homeserver.bench.load.Progress;
import org.homeserver.bench.load.RabbitMq;

/**
 * The comparison in Markdown: the six figures with where each was taken, the two curves as tables
 * (the numbers behind the plots), the run's settings and machine, and the problems the homeserver's
 * phases had (failed Sends, missing deliveries, ended streams, failed Acks), which should be none.
 */
final class Summary {
  /** What the run was and where: the plan, its kind, the machine and the load on it. */
  record Setting(ComparisonPlan plan, boolean quick, Machine machine, String postgresVersion, String serverJvmOptions,
                 String loadBefore, String loadAfter) {}

  private final Setting setting;
  private final HomeserverPhases.Results homeserver;
  private final Anchors.Results anchors;
  private final Headline headline;

  Summary(Setting setting, HomeserverPhases.Results homeserver, Anchors.Results anchors, Headline headline) {
    this.setting = setting;
    this.homeserver = homeserver;
    this.anchors = anchors;
    this.headline = headline;
  }

  String markdown() {
    ComparisonPlan plan = setting.plan();
    List<String> lines = new ArrayList<>();
    lines.add("# bench/compare" + (setting.quick() ? " --quick" : ""));
    lines.add("");
    lines.add("Every phase sends for " + Progress.seconds(plan.warmup()) + ", then measures for "
        + Progress.seconds(plan.duration()) + "; pgbench and RabbitMQ run for " + Progress.seconds(plan.duration())
        + ". Messages of " + count(plan.messageBytes()) + " ciphertext bytes.");
    lines.add("");
    lines.addAll(figures());
    lines.add("");
    lines.add("## 1:1 curve (" + CurveCharts.ONE_TO_ONE + ")");
    lines.add("");
    lines.addAll(pairsCurve());
    lines.add("");
    lines.add("## Group curve (" + CurveCharts.GROUPS + ")");
    lines.add("");
    lines.addAll(groupCurve());
    lines.add("");
    lines.add("## Problems");
    lines.add("");
    List<String> problems = problems();
    lines.add(problems.isEmpty() ? "None: no Send failed, no delivery went missing, the server ended no Listen "
        + "stream and refused no Ack." : problems.stream().map(p -> "- " + p).collect(Collectors.joining("\n")));
    lines.add("");
    lines.add("## Machine");
    lines.add("");
    lines.add(machine());
    return String.join("\n", lines) + "\n";
  }

  /** The six figures of the JSON line, with where each was taken. */
  private List<String> figures() {
    int pairs = ComparisonPlan.COMPARED_PAIRS;
    RabbitMq.Result rabbitMq = anchors.rabbitMq().get(pairs);
    Measurement.Result openLoop = homeserver.openLoop().figures();
    return List.of(
        "| figure | value | taken at |",
        "|---|---:|---|",
        "| homeserver 1:1 messages/s | **" + rate(headline.oneToOneMessagesPerSecond()) + "** | " + pairs + " pairs, "
            + 2 * pairs + " closed-loop senders, every message delivered over Listen and acked |",
        "| RabbitMQ messages/s | **" + rate(headline.rabbitMqMessagesPerSecond()) + "** | " + rabbitMq.senders()
            + " closed-loop senders, a durable queue each, persistent, confirms, manual acks |",
        "| pgbench tps | **" + rate(headline.pgbenchTps()) + "** | "
            + pgbenchClients(anchors.pgbench().get(pairs), 2 * pairs) + ", BEGIN; INSERT "
            + count(setting.plan().messageBytes()) + " bytes; COMMIT |",
        "| deliveries/s into a " + count(ComparisonPlan.COMPARED_GROUP_SIZE) + "-member group | **"
            + rate(headline.group1000DeliveriesPerSecond()) + "** | " + ComparisonPlan.GROUP_SENDERS
            + " closed-loop senders |",
        "| p99 send to receive at " + rate(ComparisonPlan.OPEN_LOOP_RATE) + " messages/s offered | **"
            + rate(headline.p99MillisAt1000PerSecond()) + " ms** | " + pairs + " pairs, open loop; "
            + rate(openLoop.acceptedPerSecond()) + " messages/s accepted, " + rate(openLoop.receivedPerSecond())
            + " received; p50 " + millis(openLoop.latencyMicros(), 50) + " ms |",
        "| server heap with " + count(ComparisonPlan.IDLE_STREAMS) + " idle Listen streams | **"
            + oneDecimal(headline.idle10kStreamsHeapMegabytes()) + " MB** | after a full GC; "
            + oneDecimal(homeserver.idle().before().heapUsedBytes() / 1e6) + " MB before the streams |");
  }

  /** The numbers of the 1:1 plot, with latencies. */
  private List<String> pairsCurve() {
    List<String> lines = new ArrayList<>();
    lines.add("| pairs | senders | homeserver messages/s | homeserver p50 / p99 ms | RabbitMQ messages/s "
        + "| RabbitMQ p50 / p99 ms | pgbench tps | pgbench clients |");
    lines.add("|---:|---:|---:|---|---:|---|---:|---:|");
    homeserver.pairs().forEach((n, result) -> {
      Measurement.Result f = result.figures();
      RabbitMq.Result r = anchors.rabbitMq().get(n);
      Pgbench.Result p = anchors.pgbench().get(n);
      lines.add("| " + count(n) + " | " + count(2 * n) + " | " + rate(f.acceptedPerSecond()) + " | "
          + percentiles(f.latencyMicros()) + " | " + rate(r.messagesPerSecond()) + " | "
          + percentiles(r.latencyMicros()) + " | " + rate(p.tps()) + " | " + count(p.clients()) + " |");
    });
    return lines;
  }

  /** The numbers of the group plot, with the homeserver's latencies. */
  private List<String> groupCurve() {
    List<String> lines = new ArrayList<>();
    lines.add("| members | groups | senders | homeserver messages/s | homeserver deliveries/s "
        + "| homeserver p50 / p99 ms | RabbitMQ messages/s | RabbitMQ deliveries/s |");
    lines.add("|---:|---:|---:|---:|---:|---|---:|---:|");
    homeserver.groups().forEach((size, result) -> {
      Measurement.Result f = result.figures();
      RabbitMqFanout.Result r = anchors.fanout().get(size);
      lines.add("| " + count(size) + " | " + count(ComparisonPlan.groupsOf(size)) + " | "
          + count(ComparisonPlan.GROUP_SENDERS) + " | " + rate(f.acceptedPerSecond()) + " | "
          + rate(f.receivedPerSecond()) + " | " + percentiles(f.latencyMicros()) + " | "
          + rate(r.messagesPerSecond()) + " | " + rate(r.deliveriesPerSecond()) + " |");
    });
    return lines;
  }

  private String machine() {
    Machine m = setting.machine();
    return m.cores() + " cores (" + m.cpu() + "), " + String.format(Locale.ROOT, "%.1f GiB",
        m.memoryBytes() / (double) (1L << 30)) + " RAM, " + m.os() + "; " + m.jdk() + "; PostgreSQL "
        + setting.postgresVersion() + "; RabbitMQ " + anchors.rabbitMq().get(ComparisonPlan.COMPARED_PAIRS).version()
        + "; server JVM options `" + setting.serverJvmOptions() + "`. Load average (1 minute) before the run "
        + setting.loadBefore() + ", after it " + setting.loadAfter() + ".";
  }

  /** What went wrong in the homeserver's phases, one line each; empty when nothing did. */
  List<String> problems() {
    List<String> problems = new ArrayList<>();
    homeserver.pairs().forEach((n, r) -> problems.addAll(problems(n + " pairs, closed loop", r)));
    problems.addAll(problems(ComparisonPlan.COMPARED_PAIRS + " pairs, open loop", homeserver.openLoop()));
    homeserver.groups().forEach((size, r) -> problems.addAll(problems("groups of " + size, r)));
    if (!homeserver.idle().streamsEnded().isEmpty()) {
      problems.add("idle Listen streams: the server ended " + codes(homeserver.idle().streamsEnded()));
    }
    return problems;
  }

  private static List<String> problems(String phase, MessageRun.Result r) {
    List<String> problems = new ArrayList<>();
    Measurement.Result f = r.figures();
    if (f.failedCount() > 0) {
      problems.add(phase + ": " + count(f.failedCount()) + " failed Sends (" + codes(f.failed()) + "), the first: "
          + f.firstFailure());
    }
    if (r.missingDeliveries() > 0) {
      problems.add(phase + ": " + count(r.missingDeliveries()) + " of " + count(r.expectedDeliveries())
          + " deliveries missing after the drain");
    }
    if (!r.streamsEnded().isEmpty()) {
      problems.add(phase + ": the server ended Listen streams (" + codes(r.streamsEnded()) + ")");
    }
    if (r.ackFailures() > 0) {
      problems.add(phase + ": " + count(r.ackFailures()) + " failed Acks");
    }
    return problems;
  }

  private static String pgbenchClients(Pgbench.Result p, int senders) {
    return count(p.clients()) + " clients" + (p.clients() < senders
        ? " (of " + count(senders) + " senders: PostgreSQL's max_connections)" : "");
  }

  private static String percentiles(Histogram h) {
    return h.getTotalCount() == 0 ? "-" : millis(h, 50) + " / " + millis(h, 99);
  }

  private static String millis(Histogram micros, double percentile) {
    double ms = micros.getValueAtPercentile(percentile) / 1e3;
    return String.format(Locale.ROOT, ms >= 100 ? "%,.0f" : "%.1f", ms);
  }

  private static <K> String codes(Map<K, Long> counts) {
    return counts.entrySet().stream().map(e -> e.getKey() + " " + count(e.getValue())).collect(Collectors.joining(", "));
  }

  private static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static String rate(double perSecond) {
    return String.format(Locale.ROOT, perSecond >= 100 ? "%,.0f" : "%,.1f", perSecond);
  }

  private static String oneDecimal(double x) {
    return String.format(Locale.ROOT, "%,.1f", x);
  }
}
