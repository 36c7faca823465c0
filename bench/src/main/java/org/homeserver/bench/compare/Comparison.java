package org.homeserver.bench.compare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import org.homeserver.bench.load.LoadGenerator;
import org.homeserver.bench.load.Machine;
import org.homeserver.bench.load.Pacing;
import org.homeserver.bench.load.Postgres;
import org.homeserver.bench.load.Progress;
import org.homeserver.bench.load.ServerOptions;
import org.homeserver.bench.load.ServerProcess;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench/compare}: in one run, the homeserver's delivery against RabbitMQ and pgbench on the
 * same machine. Starts one homeserver process on a scratch database and runs bench/load's
 * idle-listen run and message runs on it phase after phase, stops it, runs pgbench and RabbitMQ at
 * the same points, and writes the plots, a Markdown summary and the figures as JSON, whose line is
 * the last of stdout.
 */
@Command(name = "bench/compare", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Measures the homeserver, RabbitMQ and pgbench with the same workloads in one run and plots them.",
        "Ends with one JSON line: one_to_one_msgs_per_s, rabbitmq_msgs_per_s, pgbench_tps,"
            + " group_1000_deliveries_per_s, p99_ms_at_1000_per_s, idle_10k_streams_heap_mb."})
public final class Comparison implements Callable<Integer> {
  @Option(names = "--quick",
      description = "Fewer points (pairs 10, 50, 100; group sizes 2, 100, 1000) and shorter phases (5 s after 2 s).")
  boolean quick;

  @Option(names = "--pairs", split = ",", paramLabel = "N",
      description = "1:1 points: pairs of clients, every client sending (default 10,50,100,200; 100 is always one).")
  List<Integer> pairs;

  @Option(names = "--group-sizes", split = ",", paramLabel = "N",
      description = "Group curve points: members per group (default 2,10,100,1000,5000; 1000 is always one).")
  List<Integer> groupSizes;

  @Option(names = "--duration", converter = LoadGenerator.DurationConverter.class,
      description = "Each phase's measured window, and how long pgbench and RabbitMQ run (default 20s; 5s with --quick).")
  Duration duration;

  @Option(names = "--warmup", converter = LoadGenerator.DurationConverter.class,
      description = "Sending before each window opens (default 5s; 2s with --quick).")
  Duration warmup;

  @Option(names = "--message-bytes", defaultValue = "1024",
      description = "Ciphertext bytes per message, the pgbench row's and RabbitMQ message's size (default: ${DEFAULT-VALUE}).")
  int messageBytes;

  @Option(names = "--rabbitmq", paramLabel = "URI", defaultValue = "amqp://guest:guest@localhost:5672",
      description = "The RabbitMQ to compare with (default: ${DEFAULT-VALUE}).")
  String rabbitmq;

  @Mixin
  ServerOptions serverOptions;

  @Option(names = "--run-directory", defaultValue = "bench/target/compare",
      description = "Where each run keeps its plots, summary, figures, configuration and logs (default: ${DEFAULT-VALUE}).")
  Path runsDirectory;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Comparison()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    ComparisonPlan plan = plan();
    Progress progress = new Progress();
    Postgres postgres = serverOptions.postgres();
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss"));
    Path runDirectory = Files.createDirectories(runsDirectory.resolve(stamp));
    String loadBefore = loadAverage();
    progress.say("run directory " + runDirectory + "; load average " + loadBefore + " (1 minute)");
    String postgresVersion = postgres.version() + (postgres.autovacuum() ? ""
        : " (autovacuum off: the run vacuums its database every " + Postgres.ScratchDatabase.VACUUM_EVERY.toSeconds() + " s)");

    HomeserverPhases.Results homeserver;
    try (Postgres.ScratchDatabase database = postgres.createScratch("bench_compare_" + stamp);
         AutoCloseable vacuums = database.vacuumUnlessAutovacuum();
         ServerProcess server = progress.step("starting the homeserver (" + serverOptions.launcher() + " serve)", () ->
             ServerProcess.start(serverOptions.launcher(), runDirectory, database.jdbcUrl(), postgres,
                 serverOptions.jvmOptions(), serverOptions.settings()))) {
      progress.say("homeserver pid " + server.pid() + " on port " + server.port() + ", database " + database.name());
      homeserver = new HomeserverPhases(plan, server, progress).run();
      progress.say("stopping the homeserver; its log is " + server.log());
    }
    Anchors.Results anchors = new Anchors(plan, postgres, rabbitmq, runDirectory, stamp, progress).run();

    Headline headline = Headline.of(homeserver, anchors);
    Summary summary = new Summary(new Summary.Setting(plan, quick, Machine.current(), postgresVersion,
        serverOptions.jvmOptions(), loadBefore, loadAverage()), homeserver, anchors, headline);
    CurveCharts.write(runDirectory, homeserver, anchors);
    Files.writeString(runDirectory.resolve("summary.md"), summary.markdown());
    Files.writeString(runDirectory.resolve("figures.json"), headline.json() + "\n");
    progress.say("plots, summary.md and figures.json are in " + runDirectory);
    summary.problems().forEach(problem -> System.err.println("PROBLEM: " + problem));
    System.out.println();
    System.out.print(summary.markdown());
    System.out.println();
    System.out.println(headline.json());
    return 0;
  }

  private ComparisonPlan plan() {
    ComparisonPlan defaults = quick ? ComparisonPlan.quick(messageBytes) : ComparisonPlan.full(messageBytes);
    try {
      ComparisonPlan plan = new ComparisonPlan(pairs != null ? pairs : defaults.pairs(),
          groupSizes != null ? groupSizes : defaults.groupSizes(),
          warmup != null ? warmup : defaults.warmup(), duration != null ? duration : defaults.duration(), messageBytes);
      // bench/load's plans check their sizes: built now, a bad one fails before any server starts.
      plan.pairs().forEach(n -> plan.pairsPlan(n, new Pacing.Closed()));
      plan.groupSizes().forEach(plan::groupPlan);
      return plan;
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
    }
  }

  /** The 1-minute load average (/proc/loadavg): whether something else was busy on the machine. */
  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException | RuntimeException notLinux) {
      return "unknown";
    }
  }
}
