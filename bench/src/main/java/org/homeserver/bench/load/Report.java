package org.homeserver.bench.load;

import io.grpc.Status;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/** The summary a run ends with: one Markdown table of figures, ready to paste into a README. */
final class Report {
  private final List<String[]> rows = new ArrayList<>();

  Report add(String figure, String value) {
    rows.add(new String[] {figure, value});
    return this;
  }

  void print(PrintStream out) {
    int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(6);
    out.println();
    out.printf("| %-" + width + "s | %s |%n", "figure", "value");
    out.printf("|%s|%s|%n", "-".repeat(width + 2), "---");
    rows.forEach(r -> out.printf("| %-" + width + "s | %s |%n", r[0], r[1]));
  }

  /** The run's settings, as the table's first rows. */
  static Report of(Plan plan) {
    Report report = new Report().add("scenario", plan.scenario().label).add("date", LocalDate.now().toString());
    if (plan.scenario() == Scenario.IDLE_LISTEN) {
      return report.add("clients (each with a Listen stream)", count(plan.clients()))
          .add("connections", count(plan.connections()));
    }
    String pacing = switch (plan.pacing()) {
      case Pacing.Open(double rate) -> "open loop, " + count(Math.round(rate)) + " messages/s in all";
      case Pacing.Closed() -> "closed loop";
    };
    return report.add("clients", count(plan.clients()))
        .add("groups", count(plan.groups()) + " of " + count(plan.groupSize()))
        .add("senders", count(plan.senders()))
        .add("pacing", pacing)
        .add("message (ciphertext bytes)", count(plan.messageBytes()))
        .add("measured", Progress.seconds(plan.duration()) + " after " + Progress.seconds(plan.warmup()) + " warm-up")
        .add("connections", count(plan.connections()));
  }

  Report messages(MessageRun.Result r) {
    Measurement.Result f = r.figures();
    Histogram latency = f.latencyMicros();
    add("registration of the clients", Progress.seconds(r.registration()));
    add("group set-up", Progress.seconds(r.groupSetup()));
    add("**messages/s** (accepted Sends)", "**" + rate(f.acceptedPerSecond()) + "**");
    add("**deliveries/s** (messages received over Listen in the window)", "**" + rate(f.receivedPerSecond()) + "**");
    if (latency.getTotalCount() == 0) {
      add("send-to-receive latency", "no deliveries");
    } else {
      add("**latency p50 / p99 / p99.9** (send to receive)", "**" + millis(latency.getValueAtPercentile(50)) + " / "
          + millis(latency.getValueAtPercentile(99)) + " / " + millis(latency.getValueAtPercentile(99.9)) + " ms**");
      add("latency max", millis(latency.getMaxValue()) + " ms");
    }
    add("failed Sends", count(f.failedCount()) + (f.failed().isEmpty() ? "" : " (" + codes(f.failed()) + ")"));
    if (f.firstFailure() != null) {
      add("first failure", f.firstFailure().replace("|", "/"));
    }
    add("deliveries missing after the drain", count(r.missingDeliveries()) + " of " + count(r.expectedDeliveries()));
    add("Listen streams the server ended", r.streamsEnded().isEmpty() ? "0" : codes(r.streamsEnded()));
    return add("failed Acks", count(r.ackFailures()));
  }

  Report idleListen(IdleListenRun.Result r) {
    return add("registration of the clients", Progress.seconds(r.registration()))
        .add("opening the streams (until every QueueEmpty)", Progress.seconds(r.opening()))
        .add("Listen streams the server ended", r.streamsEnded().isEmpty() ? "0" : codes(r.streamsEnded()))
        .add("server heap before the streams (after full GC)", megabytes(r.before().heapUsedBytes()))
        .add("**server heap with " + count(r.streams()) + " idle Listen streams** (after full GC)",
            "**" + megabytes(r.with().heapUsedBytes()) + "**")
        .add("**heap per idle stream**", "**" + kilobytes(r.heapPerStream()) + "**")
        .add("server resident memory before / with the streams",
            megabytes(r.before().residentBytes()) + " / " + megabytes(r.with().residentBytes()));
  }

  Report pgbench(Pgbench.Result p, double messagesPerSecond) {
    String clients = count(p.clients()) + (p.clients() < p.requestedClients()
        ? " (of " + count(p.requestedClients()) + " senders: PostgreSQL's max_connections)" : "");
    return add("pgbench clients", clients)
        .add("**pgbench tps** (BEGIN, INSERT of the message size, COMMIT; " + Progress.seconds(p.duration()) + ")",
            "**" + rate(p.tps()) + "**")
        .add("pgbench latency average", String.format(Locale.ROOT, "%.2f ms", p.latencyMillis()))
        .add("**homeserver messages/s ÷ pgbench tps**", "**" + twoDigits(messagesPerSecond / p.tps()) + "**");
  }

  Report machine(Machine m, String postgresVersion, String serverJvmOptions) {
    return add("machine", m.cores() + " cores (" + m.cpu() + "), "
            + String.format(Locale.ROOT, "%.1f GiB", m.memoryBytes() / (double) (1L << 30)) + " RAM, " + m.os())
        .add("JDK", m.jdk())
        .add("PostgreSQL", postgresVersion)
        .add("server JVM options", "`" + serverJvmOptions + "`");
  }

  private static String codes(Map<Status.Code, Long> counts) {
    return counts.entrySet().stream().map(e -> e.getKey() + " " + count(e.getValue())).collect(Collectors.joining(", "));
  }

  private static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static String rate(double perSecond) {
    return String.format(Locale.ROOT, perSecond >= 100 ? "%,.0f" : "%,.1f", perSecond);
  }

  private static String millis(long micros) {
    return String.format(Locale.ROOT, micros >= 100_000 ? "%,.0f" : "%.1f", micros / 1000.0);
  }

  /** Two significant digits, never in exponent form: 0.00025, 0.31, 1.2. */
  private static String twoDigits(double x) {
    return new BigDecimal(x).round(new MathContext(2)).toPlainString();
  }

  private static String megabytes(long bytes) {
    return String.format(Locale.ROOT, "%,.1f MB", bytes / 1e6);
  }

  private static String kilobytes(long bytes) {
    return String.format(Locale.ROOT, "%,.1f KB", bytes / 1e3);
  }
}
