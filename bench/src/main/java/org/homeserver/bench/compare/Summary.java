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
    List<String> lines = new ArrayList<>();
    ComparisonPlan plan = setting.plan();
    int pairs = ComparisonPlan.COMPARED_PAIRS;
    Pgbench.Result pgbench = anchors.pgbench().get(pairs);
    RabbitMq.Result rabbitMq = anchors.rabbitMq().get(pairs);
    MessageRun.Result openLoop = homeserver.openLoop();
    lines.add("# bench/compare" + (setting.quick() ? " --quick" : ""));
    lines.add("");
    lines.add("Every phase sends for " + Progress.seconds(plan.warmup()) + ", then measures for "
        + Progress.seconds(plan.duration()) + "; pgbench and RabbitMQ run for " + Progress.seconds(plan.duration())
        + ". Messages of " + count(plan.messageBytes()) + " ciphertext bytes.");
    lines.add("");
    lines.add("| figure | value | taken at |");
    lines.add("|---|---:|---|");
    lines.add("| homeserver 1:1 messages/s | **" + rate(headline.oneToOneMessagesPerSecond()) + "** | " + pairs
        + " pairs, " + 2 * pairs + " closed-loop senders, every message delivered over Listen and acked |");
    lines.add("| RabbitMQ messages/s | **" + rate(headline.rabbitMqMessagesPerSecond()) + "** | " + rabbitMq.senders()
        + " closed-loop senders, a durable queue each, persistent, confirms, manual acks (RabbitMQ "
        + rabbitMq.version() + ") |");
    lines.add("| pgbench tps | **" + rate(headline.pgbenchTps()) + "** | " + pgbenchClients(pgbench, 2 * pairs)
        + ", BEGIN; INSERT " + count(plan.messageBytes()) + " bytes; COMMIT |");
    lines.add("| deliveries/s into a " + count(ComparisonPlan.COMPARED_GROUP_SIZE) + "-member group | **"
        + rate(headline.group1000DeliveriesPerSecond()) + "** | " + ComparisonPlan.GROUP_SENDERS
        + " closed-loop senders |");
    lines.add("| p99 send to receive at " + rate(ComparisonPlan.OPEN_LOOP_RATE) + " messages/s offered | **"
        + rate(headline.p99MillisAt1000PerSecond()) + " ms** | " + pairs + " pairs, open loop; "
        + rate(openLoop.figures().acceptedPerSecond()) + " messages/s accepted; p50 "
        + millis(openLoop.figures().latencyMicros(), 50) + " ms |");
    lines.add("| server heap with " + count(ComparisonPlan.IDLE_STREAMS) + " idle Listen streams | **"
        + oneDecimal(headline.idle10kStreamsHeapMegabytes()) + " MB** | after a full GC; "
        + oneDecimal(homeserver.idle().before().heapUsedBytes() / 1e6) + " MB before the streams |");
    lines.add("");
    lines.add("## 1:1 curve (one-to-one.png)");
    lines.add("");
    lines.add("| pairs | senders | homeserver messages/s | homeserver p50 / p99 ms | RabbitMQ messages/s "
        + "| RabbitMQ p50 / p99 ms | pgbench tps | pgbench clients |");
    lines.add("|---:|---:|---:|---|---:|---|---:|---:|");
    for (var point : homeserver.pairs().entrySet()) {
      int n = point.getKey();
      Measurement.Result f = point.getValue().figures();
      RabbitMq.Result r = anchors.rabbitMq().get(n);
      Pgbench.Result p = anchors.pgbench().get(n);
      lines.add("| " + count(n) + " | " + count(2 * n) + " | " + rate(f.acceptedPerSecond()) + " | "
          + percentiles(f.latencyMicros()) + " | " + rate(r.messagesPerSecond()) + " | " + percentiles(r.latencyMicros())
          + " | " + rate(p.tps()) + " | " + count(p.clients()) + " |");
    }
    lines.add("");
    lines.add("## Group curve (groups.png)");
    lines.add("");
    lines.add("| members | groups | senders | homeserver messages/s | homeserver deliveries/s "
        + "| homeserver p50 / p99 ms | RabbitMQ messages/s | RabbitMQ deliveries/s |");
    lines.add("|---:|---:|---:|---:|---:|---|---:|---:|");
    for (var point : homeserver.groups().entrySet()) {
      int size = point.getKey();
      Measurement.Result f = point.getValue().figures();
      RabbitMqFanout.Result r = anchors.fanout().get(size);
      lines.add("| " + count(size) + " | " + count(ComparisonPlan.groupsOf(size)) + " | "
          + count(ComparisonPlan.GROUP_SENDERS) + " | " + rate(f.acceptedPerSecond()) + " | "
          + rate(f.receivedPerSecond()) + " | " + percentiles(f.latencyMicros()) + " | "
          + rate(r.messagesPerSecond()) + " | " + rate(r.deliveriesPerSecond()) + " |");
    }
    lines.add("");
    lines.add("## Problems");
    lines.add("");
    List<String> problems = problems();
    lines.add(problems.isEmpty() ? "None: no Send failed, no delivery went missing, the server ended no Listen "
        + "stream and refused no Ack." : problems.stream().map(p -> "- " + p).collect(Collectors.joining("\n")));
    lines.add("");
    lines.add("## Machine");
    lines.add("");
    Machine m = setting.machine();
    lines.add(m.cores() + " cores (" + m.cpu() + "), " + String.format(Locale.ROOT, "%.1f GiB",
        m.memoryBytes() / (double) (1L << 30)) + " RAM, " + m.os() + "; " + m.jdk() + "; PostgreSQL "
        + setting.postgresVersion() + "; RabbitMQ " + rabbitMq.version() + "; server JVM options `"
        + setting.serverJvmOptions() + "`. Load average (1 minute) before the run " + setting.loadBefore()
        + ", after it " + setting.loadAfter() + ".");
    return String.join("\n", lines) + "\n";
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
