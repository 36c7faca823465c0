package org.homeserver.bench.load;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The delivery load generator ({@code bench/load}): starts a homeserver process on a scratch
 * database, drives it over gRPC with simulated clients in one JVM, measures pgbench on the same
 * PostgreSQL, and prints a summary table.
 */
@Command(name = "bench/load", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Load-tests the Delivery Service and the notifier of a homeserver process started for the run.",
        "Scenarios: one-to-one (1:1 chats, every client sends to its partner), big-group (one group, a few senders),"
            + " idle-listen (the server's heap with idle Listen streams),"
            + " key-packages (publish latency and claims/s of the KeyPackage store),"
            + " pushes (Web Pushes/s from the notifier to a local receiver),"
            + " commits (a commit's latency in one group of every client, the group's public state followed),"
            + " federated-one-to-one (1:1 chats between clients of two federating homeservers, beside local ones)."})
public final class LoadGenerator implements Callable<Integer> {
  @Option(names = "--scenario", defaultValue = "one-to-one", converter = ScenarioConverter.class,
      description = "one-to-one, big-group, idle-listen, key-packages, pushes, commits or federated-one-to-one"
          + " (default: ${DEFAULT-VALUE}).")
  Scenario scenario;

  @Option(names = "--clients",
      description = "Clients in all (default: 1,000; 10,000 for idle-listen; 200 for pushes); the claimers for"
          + " key-packages (default 100); the clients of the federated chats, half on each homeserver, for"
          + " federated-one-to-one (default 100; as many again chat locally).")
  Integer clients;

  @Option(names = "--group-size",
      description = "Members per group; consecutive clients share one (default: 2; 1,000 for big-group; every client"
          + " for pushes).")
  Integer groupSize;

  @Option(names = "--senders",
      description = "Sending clients, spread over the groups (default: every client; 10 for big-group; 4 for pushes;"
          + " one per chat and phase for federated-one-to-one).")
  Integer senders;

  @Option(names = "--message-bytes", defaultValue = "1024",
      description = "Ciphertext bytes per application message, the pgbench row's payload too (default: ${DEFAULT-VALUE}).")
  int messageBytes;

  @Option(names = "--rate",
      description = "Open loop: messages per second in all, latency counted from when each was due.")
  Double rate;

  @Option(names = "--closed",
      description = "Closed loop (the default): each sender sends again when its Send returned.")
  boolean closed;

  @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class,
      description = "The measured window, e.g. 30s or 2m (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class,
      description = "Sending before the window opens (default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--messages", defaultValue = "100",
      description = "pushes: messages sent in all, however long the pushes take (default: ${DEFAULT-VALUE}).")
  int messages;

  @Option(names = "--target-users", defaultValue = "500",
      description = "key-packages: users whose clients (2 each) publish and are claimed from (default: ${DEFAULT-VALUE}).")
  int targetUsers;

  @Option(names = "--publishers", defaultValue = "4",
      description = "key-packages: publishes in flight at once (default: ${DEFAULT-VALUE}).")
  int publishers;

  @Option(names = "--fan-out-rate", defaultValue = "20",
      description = "federated-one-to-one: messages/s in all from the hub's clients to the follower's (open loop;"
          + " default: ${DEFAULT-VALUE}).")
  double fanOutRate;

  @Option(names = "--connections",
      description = "gRPC connections the clients share (default: one per client).")
  Integer connections;

  @Option(names = "--pgbench-duration", converter = DurationConverter.class,
      description = "How long pgbench runs (default: --duration).")
  Duration pgbenchDuration;

  @Option(names = "--no-pgbench", description = "Skip pgbench (it never runs for idle-listen, key-packages and pushes).")
  boolean noPgbench;

  @Option(names = "--rabbitmq", paramLabel = "URI",
      description = "Also run the same closed-loop 1:1 workload through the RabbitMQ at this URI (durable queues, "
          + "persistent messages, publisher confirms, manual acks), e.g. amqp://guest:guest@localhost:5672.")
  String rabbitmq;

  @Mixin
  ServerOptions serverOptions;

  @Option(names = "--run-directory", defaultValue = "bench/target/load",
      description = "Where each run keeps its configuration, data and logs (default: ${DEFAULT-VALUE}).")
  Path runsDirectory;

  public static void main(String[] args) {
    System.exit(new CommandLine(new LoadGenerator()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Plan plan = plan();
    Progress progress = new Progress();
    Postgres postgres = serverOptions.postgres();
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss"));
    Path runDirectory = Files.createDirectories(runsDirectory.resolve(stamp));
    progress.say("run directory " + runDirectory + " (homeserver.yaml, homeserver.log, pgbench.log)");
    String postgresVersion = postgres.version() + (postgres.autovacuum() ? ""
        : " (autovacuum off: the run vacuums its database every " + Postgres.ScratchDatabase.VACUUM_EVERY.toSeconds() + " s)");

    Report report = Report.of(plan);
    Map<String, String> settings = new LinkedHashMap<>(plan.scenario().serverSettings());
    settings.putAll(serverOptions.settings());
    if (plan.scenario() == Scenario.FEDERATED_ONE_TO_ONE) {
      federated(plan, progress, runDirectory, stamp, settings, report);
      report.machine(Machine.current(), postgresVersion, serverOptions.jvmOptions()).print(System.out);
      return 0;
    }
    List<String> problems = List.of();
    double messagesPerSecond;
    try (Postgres.ScratchDatabase database = postgres.createScratch("bench_" + stamp);
         AutoCloseable vacuums = database.vacuumUnlessAutovacuum();
         ServerProcess server = progress.step("starting the homeserver (" + serverOptions.launcher() + " serve)", () ->
             ServerProcess.start(serverOptions.launcher(), runDirectory, database.jdbcUrl(), postgres,
                 serverOptions.jvmOptions(), settings));
         Connections channels = new Connections("127.0.0.1", server.port(), plan.connections())) {
      progress.say("homeserver pid " + server.pid() + " on port " + server.port() + ", database " + database.name());
      if (plan.scenario() == Scenario.IDLE_LISTEN) {
        report.idleListen(new IdleListenRun(plan, channels, server, progress).run());
        messagesPerSecond = 0;
      } else if (plan.scenario() == Scenario.KEY_PACKAGES) {
        report.keyPackages(new KeyPackageRun(plan, channels, progress).run());
        messagesPerSecond = 0;
      } else if (plan.scenario() == Scenario.COMMITS) {
        report.commits(new CommitRun(plan, channels, progress).run());
        messagesPerSecond = 0;
      } else if (plan.scenario() == Scenario.PUSHES) {
        PushRun.Result result = new PushRun(plan, channels, server, progress).run();
        report.pushes(result);
        problems = result.pushes().problems();
        messagesPerSecond = 0;
      } else {
        MessageRun.Result result = new MessageRun(plan, channels, progress).run();
        report.messages(result);
        messagesPerSecond = result.figures().acceptedPerSecond();
      }
      progress.say("stopping the homeserver; its log is " + server.log());
    }
    if (plan.scenario().sends() && !noPgbench) {
      Duration pgbench = pgbenchDuration == null ? plan.duration() : pgbenchDuration;
      report.pgbench(progress.step("pgbench, " + plan.senders() + " clients, " + Progress.seconds(pgbench), () ->
          Pgbench.run(postgres, runDirectory, "bench_pgbench_" + stamp, plan.senders(), plan.messageBytes(), pgbench)),
          messagesPerSecond);
    }
    if (plan.scenario() == Scenario.ONE_TO_ONE && rabbitmq != null) {
      Duration anchor = pgbenchDuration == null ? plan.duration() : pgbenchDuration;
      report.rabbitmq(progress.step("RabbitMQ, " + plan.senders() + " senders, " + Progress.seconds(anchor), () ->
          RabbitMq.run(rabbitmq, plan.senders(), plan.messageBytes(), anchor)), messagesPerSecond);
    }
    report.machine(Machine.current(), postgresVersion, serverOptions.jvmOptions()).print(System.out);
    problems.forEach(problem -> System.err.println("RUN FAILED: " + problem));
    return problems.isEmpty() ? 0 : 1;
  }

  /** Two federating homeservers, each on a scratch database, and the federated and local chats between their clients. */
  private void federated(Plan plan, Progress progress, Path runDirectory, String stamp, Map<String, String> settings,
      Report report) throws Exception {
    try (FederatedServers servers = progress.step("starting the homeservers " + FederatedServers.HUB + " and "
            + FederatedServers.FOLLOWER + " (" + serverOptions.launcher() + " serve)", () ->
            FederatedServers.start(serverOptions, runDirectory, stamp, settings));
         Connections hub = new Connections("127.0.0.1", servers.hub().server().port(), plan.connections());
         Connections follower = new Connections("127.0.0.1", servers.follower().server().port(),
             Math.min(plan.connections(), plan.clients() / 2))) {
      for (FederatedServers.Member member : List.of(servers.hub(), servers.follower())) {
        progress.say(member.domain() + ": pid " + member.server().pid() + " on port " + member.server().port()
            + ", database " + member.database().name());
      }
      report.federated(new FederatedRun(plan, hub, follower, fanOutRate, progress).run());
      progress.say("stopping the homeservers; their logs are " + servers.hub().server().log() + " and "
          + servers.follower().server().log());
    }
  }

  private Plan plan() {
    if (fanOutRate <= 0) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--fan-out-rate must be positive");
    }
    if (rate != null && closed) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--rate and --closed exclude each other");
    }
    int clientCount = clients != null ? clients : scenario.defaultClients;
    int size = groupSize != null ? groupSize : Math.min(scenario.defaultGroupSize, clientCount);
    // federated-one-to-one: one sender per chat, the chats being half the clients.
    int defaultSenders = scenario == Scenario.FEDERATED_ONE_TO_ONE ? clientCount / 2 : scenario.defaultSenders;
    int senderCount = senders != null ? senders : Math.min(defaultSenders, clientCount);
    Pacing pacing = rate != null ? new Pacing.Open(rate) : new Pacing.Closed();
    try {
      return new Plan(scenario, clientCount, size, senderCount, messageBytes, pacing, warmup, duration,
          connections != null ? connections : Plan.registeredClients(scenario, clientCount, targetUsers),
          targetUsers, publishers, messages);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
    }
  }

  static final class ScenarioConverter implements CommandLine.ITypeConverter<Scenario> {
    @Override
    public Scenario convert(String value) {
      return Scenario.named(value);
    }
  }

  /** {@code 30s}, {@code 2m}, {@code 1h}, or seconds alone. */
  public static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern DURATION = Pattern.compile("(\\d+)([smh]?)");

    @Override
    public Duration convert(String value) {
      Matcher m = DURATION.matcher(value);
      if (!m.matches()) {
        throw new CommandLine.TypeConversionException("not a duration such as 30s, 2m or 1h: " + value);
      }
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofSeconds(n);
      };
    }
  }
}
