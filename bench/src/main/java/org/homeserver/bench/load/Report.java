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
    if (plan.scenario() == Scenario.KEY_PACKAGES) {
      return report.add("claimers (closed loop)", count(plan.clients()) + " clients of "
              + count((plan.clients() + Registrations.CLIENTS_PER_USER - 1) / Registrations.CLIENTS_PER_USER)
              + " users, each user connected with every target user")
          .add("target users", count(plan.targetUsers()) + " of " + KeyPackageRun.CLIENTS_PER_TARGET
              + " clients, each client publishing " + KeyPackageRun.BATCH + " KeyPackages (suite 1, X.509)")
          .add("claims measured", Progress.seconds(plan.duration()) + " after " + Progress.seconds(plan.warmup())
              + " warm-up")
          .add("connections", count(plan.connections()));
    }
    if (plan.scenario() == Scenario.COMMITS) {
      return report.add("group", count(plan.clients()) + " members (clients of "
              + count((plan.clients() + Registrations.CLIENTS_PER_USER - 1) / Registrations.CLIENTS_PER_USER)
              + " users, suite 1, X.509 credentials from the AS), none listening")
          .add("commits", "members in turn, each an UpdatePath and no proposals, with the new GroupInfo; one at a"
              + " time, measured " + Progress.seconds(plan.duration()) + " after " + Progress.seconds(plan.warmup())
              + " warm-up")
          .add("connections", count(plan.connections()));
    }
    if (plan.scenario() == Scenario.FEDERATED_ONE_TO_ONE) {
      return report.add("chats", count(plan.groups()) + " federated 1:1 chats, each between a user of "
              + FederatedServers.HUB + " and one of " + FederatedServers.FOLLOWER + " (one client each), hosted by "
              + FederatedServers.HUB + "; " + count(plan.groups()) + " local ones between users of " + FederatedServers.HUB)
          .add("phases", "local (" + FederatedServers.HUB + " to " + FederatedServers.HUB + ") closed loop, federated to "
              + FederatedServers.FOLLOWER + " open loop, federated from " + FederatedServers.FOLLOWER
              + " closed loop; one after the other, " + count(plan.senders()) + " senders each (one per chat)")
          .add("message (ciphertext bytes)", count(plan.messageBytes()))
          .add("measured (each phase)", Progress.seconds(plan.duration()) + " after " + Progress.seconds(plan.warmup())
              + " warm-up")
          .add("connections to " + FederatedServers.HUB + " / " + FederatedServers.FOLLOWER,
              count(plan.connections()) + " / " + count(Math.min(plan.connections(), plan.clients() / 2)));
    }
    String pacing = switch (plan.pacing()) {
      case Pacing.Open(double rate) -> "open loop, " + count(Math.round(rate)) + " messages/s in all";
      case Pacing.Closed() -> "closed loop";
    };
    if (plan.scenario() == Scenario.PUSHES) {
      return report.add("clients", count(plan.clients()) + ", none listening, each with a Web Push endpoint at one"
              + " loopback receiver")
          .add("groups", count(plan.groups()) + " of " + count(plan.groupSize()))
          .add("senders", count(plan.senders()))
          .add("messages", count(plan.messages()) + ", " + pacing + ", each waking "
              + count(plan.recipientsPerMessage()) + " members")
          .add("message (ciphertext bytes)", count(plan.messageBytes()))
          .add("connections", count(plan.connections()));
    }
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

  Report federated(FederatedRun.Result r) {
    add("registration of the clients", Progress.seconds(r.registration()));
    add("group set-up (connections, groups, the follower's Welcomes)", Progress.seconds(r.groupSetup()));
    String hub = FederatedServers.HUB;
    String follower = FederatedServers.FOLLOWER;
    phase("local, " + hub + " to " + hub, r.local());
    phase("federated, " + hub + " to " + follower + " (the hub's fan-out, open loop at " + rate(r.fanOutRate())
        + "/s)", r.toFollower());
    phase("federated, " + follower + " to " + hub + " (relayed to the hub)", r.fromFollower());
    add("**federated from " + follower + " ÷ local messages/s** (closed loop both)", "**"
        + twoDigits(r.fromFollower().figures().acceptedPerSecond() / r.local().figures().acceptedPerSecond()) + "**");
    add("Listen streams the server ended", r.streamsEnded().isEmpty() ? "0" : codes(r.streamsEnded()));
    return add("failed Acks", count(r.ackFailures()));
  }

  /** One sending phase: its rate, its latency from Send to Listen, and what failed or went missing. */
  private void phase(String name, MessageRun.Phase p) {
    Measurement.Result f = p.figures();
    add(name + ": **messages/s** (accepted Sends) / deliveries/s (received in the window)",
        "**" + rate(f.acceptedPerSecond()) + "** / " + rate(f.receivedPerSecond()));
    Histogram latency = f.latencyMicros();
    add(name + ": **latency p50 / p99 / p99.9** (Send to the receiver's Listen)", latency.getTotalCount() == 0
        ? "no deliveries"
        : "**" + millis(latency.getValueAtPercentile(50)) + " / " + millis(latency.getValueAtPercentile(99)) + " / "
            + millis(latency.getValueAtPercentile(99.9)) + " ms** (max " + millis(latency.getMaxValue()) + ")");
    add(name + ": failed Sends / deliveries missing / deliveries beyond those owed", count(f.failedCount())
        + (f.failed().isEmpty() ? "" : " (" + codes(f.failed()) + ")") + " / " + count(p.missingDeliveries())
        + " of " + count(p.expectedDeliveries()) + " / " + count(p.extraDeliveries()));
    if (f.firstFailure() != null) {
      add(name + ": first failure", f.firstFailure().replace("|", "/"));
    }
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

  Report commits(CommitRun.Result r) {
    return add("registration of the clients", Progress.seconds(r.registration()))
        .add("creating the group (adds of 100 per commit)", Progress.seconds(r.setup()))
        .add("**stored group state** (the last epoch's)", "**" + count(r.stateBytes()) + " bytes**")
        .add("**stored per commit** (the state's head and the tree nodes the commit changed)",
            "**" + count(r.commits() == 0 ? 0 : r.writtenBytes() / r.commits()) + " bytes**")
        .add("commits measured", count(r.commits()) + " in " + Progress.seconds(r.window()))
        .add("**commit latency p50 / p99 / max** (Send of a commit bundle to its answer)",
            "**" + percentiles(r.latencyMicros()) + " ms**")
        .add("commits/s (one at a time; the client builds each commit between them)", rate(r.perSecond()));
  }

  Report keyPackages(KeyPackageRun.Result r) {
    KeyPackageRun.Publishing p = r.publishing();
    KeyPackageRun.Claiming c = r.claiming();
    Measurement.Result f = c.figures();
    add("registration of the clients", Progress.seconds(r.registration()));
    add("connecting the users", Progress.seconds(r.connecting()));
    add("signing the KeyPackages (client side, before any timing)", Progress.seconds(r.signing()));
    add("publishes", count(p.publishes()) + " of " + count(p.keyPackagesEach()) + " KeyPackages, "
        + count(p.concurrency()) + " at a time, in " + Progress.seconds(p.elapsed()));
    add("**publish latency p50 / p99 / max** (one PublishKeyPackages of " + p.keyPackagesEach() + ")",
        "**" + percentiles(p.latencyMicros()) + " ms**");
    add("**KeyPackages validated/s** (publishing)", "**" + rate(p.validatedPerSecond()) + "**");
    add("**claims/s**", "**" + rate(f.acceptedPerSecond()) + "**");
    long handedOut = c.deleted() + c.kept();
    add("KeyPackages handed out in the window: deleted / kept (a client's last)", count(c.deleted()) + " / "
        + count(c.kept()) + (handedOut == 0 ? "" : " (" + Math.round(100.0 * c.deleted() / handedOut) + "% deleted)"));
    add("clients without a KeyPackage in the window's claims", count(c.withoutKeyPackage()));
    if (f.latencyMicros().getTotalCount() > 0) {
      add("**claim latency p50 / p99 / max**", "**" + percentiles(f.latencyMicros()) + " ms**");
    }
    add("failed claims", count(f.failedCount()) + (f.failed().isEmpty() ? "" : " (" + codes(f.failed()) + ")"));
    if (f.firstFailure() != null) {
      add("first failure", f.firstFailure().replace("|", "/"));
    }
    return add("deleted KeyPackages handed out twice (whole run)", count(c.handedOutTwice()));
  }

  Report pushes(PushRun.Result r) {
    Measurement.Result sends = r.sending().sends();
    PushFigures p = r.pushes();
    add("registration of the clients", Progress.seconds(r.registration()));
    add("group set-up", Progress.seconds(r.groupSetup()));
    add("registering the endpoints and default policies", Progress.seconds(r.subscribing()));
    add("messages accepted", count(sends.accepted()) + " in " + Progress.seconds(r.sending().elapsed()) + " ("
        + rate(sends.accepted() / Math.max(1e-9, r.sending().elapsed().toNanos() / 1e9)) + " messages/s)");
    add("failed Sends", count(sends.failedCount()) + (sends.failed().isEmpty() ? "" : " (" + codes(sends.failed()) + ")"));
    if (sends.firstFailure() != null) {
      add("first failure", sends.firstFailure().replace("|", "/"));
    }
    add("pushes expected / received", count(p.expected()) + " / " + count(p.received()));
    add("first Send to the last push", Progress.seconds(p.toLastPush()));
    add("**pushes/s** (received ÷ first Send to last push)", "**" + rate(p.perSecond()) + "**");
    add("**pushes/s, steady** (10th to 90th percentile of arrivals)", "**" + rate(p.steadyPerSecond()) + "**");
    if (p.latencyMicros().getTotalCount() > 0) {
      add("**push latency p50 / p99 / max** (Send accepted to push received)",
          "**" + percentiles(p.latencyMicros()) + " ms**");
    }
    add("pushes missing", count(p.missing()));
    add("duplicate pushes (a notification id again) / pushes for no message of the run",
        count(p.duplicates()) + " / " + count(p.unmatched()));
    add("receiver rejections", count(p.rejections().size()));
    if (!p.rejections().isEmpty()) {
      add("first rejection", p.rejections().getFirst().replace("|", "/"));
    }
    return this;
  }

  /** p50 / p99 / max of microseconds, in milliseconds. */
  private static String percentiles(Histogram h) {
    return millis(h.getValueAtPercentile(50)) + " / " + millis(h.getValueAtPercentile(99)) + " / "
        + millis(h.getMaxValue());
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

  Report rabbitmq(RabbitMq.Result r, double messagesPerSecond) {
    return add("RabbitMQ", r.version() + ", " + count(r.senders()) + " durable queues, persistent messages, "
            + "publisher confirms, manual acks, closed loop (" + Progress.seconds(r.duration()) + ")")
        .add("**RabbitMQ messages/s**", "**" + rate(r.messagesPerSecond()) + "**")
        .add("RabbitMQ publish to delivery p50 / p99 / max (ms)", percentiles(r.latencyMicros()))
        .add("**homeserver messages/s ÷ RabbitMQ messages/s**", "**" + twoDigits(messagesPerSecond / r.messagesPerSecond()) + "**");
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
