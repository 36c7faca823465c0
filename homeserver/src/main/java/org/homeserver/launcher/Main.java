package org.homeserver.launcher;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.homeserver.platform.config.ConfigException;
import org.homeserver.platform.config.Setting;
import org.homeserver.platform.config.HomeserverConfig;
import org.homeserver.platform.db.HomeDomain;
import org.homeserver.platform.grpc.tls.InternalPortTls;
import org.homeserver.platform.grpc.tls.PublicPortTls;
import org.homeserver.platform.logging.Logging;
import org.homeserver.platform.secrets.KeyEncryptionKeys;
import org.homeserver.platform.secrets.SealedKeyException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** The {@code homeserver} executable: init, serve, and the operator's admin commands. */
@Command(name = "homeserver", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
    description = "MLS homeserver: Delivery Service, Authentication Service, directory and federation.",
    subcommands = {Main.Init.class, Main.Serve.class, AdminCommands.class, Main.CheckConfig.class,
        Main.ConfigReference.class, MlsCommands.class})
public final class Main {
  /** Exit status for a configuration the homeserver refuses. */
  static final int EXIT_CONFIG = 2;

  /** Inherited: every command takes it, before or after the command's name ({@code serve -c FILE}). */
  @Option(names = {"-c", "--config"}, paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
      description = "The YAML configuration file (default: $HOMESERVER_CONFIG, else built-in defaults).")
  Path configFile;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((e, command, parsed) -> {
      switch (e) {
        case ConfigException c -> c.problems().forEach(command.getErr()::println);
        case HomeDomain.DomainMismatchException d -> command.getErr().println("error: " + d.getMessage());
        case SealedKeyException s -> command.getErr().println("error: " + s.getMessage());
        default -> {
          command.getErr().println("error: " + e);
          return 1;
        }
      }
      return EXIT_CONFIG;
    });
    return cli;
  }

  /** Loads the configuration with command-line overrides. */
  HomeserverConfig config(Map<String, String> overrides) throws ConfigException {
    Path file = configFile;
    if (file == null && System.getenv("HOMESERVER_CONFIG") != null) {
      file = Path.of(System.getenv("HOMESERVER_CONFIG"));
    }
    return Homeserver.configLoader(System.getenv()).load(file, overrides);
  }

  @Command(name = "init", description = "Fix the home domain and create the data directory, then exit.")
  static final class Init implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--domain", required = true, description = "The home domain, e.g. example.org. Cannot change later.")
    String domain;

    @Override
    public Integer call() throws Exception {
      HomeserverConfig config = main.config(Map.of("domain", domain));
      Logging.configure(config.logFormat(), config.logLevel());
      try (Storage storage = Storage.open(config)) {
        String fixed = storage.settleDomain(config.domain(), Clock.systemUTC());
        String token = config.admin().enabled() ? AdminToken.settle(config) : null;
        String keyId = KeyEncryptionKeys.settle(config).currentKeyId();
        main.out().println("home domain: " + fixed);
        main.out().println("database: " + storage.location());
        main.out().println("key-encryption key: " + keyId + (config.secrets().keyEncryptionKey().isPresent()
            ? " from the configuration"
            : " in " + config.secrets().keyEncryptionKeyFile().orElse(KeyEncryptionKeys.generatedFile(config))
                .toAbsolutePath() + "; keep a copy apart from the database's backups"));
        if (token != null) {
          main.out().println("admin token: " + (config.adminToken().isPresent() ? "from the configuration"
              : AdminToken.file(config).toAbsolutePath()));
        }
      }
      return 0;
    }
  }

  @Command(name = "serve", description = "Run the homeserver (every service, or one with --service).")
  static final class Serve implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--service", paramLabel = "NAME", description = "Run only this service (${COMPLETION-CANDIDATES}).",
        completionCandidates = ServiceNames.class)
    String service;

    @Option(names = "--domain", description = "The home domain; needed at the first start unless set by init or config.")
    String domain;

    @Override
    public Integer call() throws Exception {
      Map<String, String> overrides = new HashMap<>();
      if (domain != null) {
        overrides.put("domain", domain);
      }
      HomeserverConfig config = main.config(overrides);
      Logging.configure(config.logFormat(), config.logLevel());
      Homeserver server = StopOnSignal.start(() ->
          Homeserver.start(config, service == null ? List.of() : List.of(service), Clock.systemUTC()));
      main.out().println("homeserver " + server.domain() + " is serving gRPC on " + config.server().host() + ":"
          + server.port());
      server.adminPort().ifPresent(p -> main.out().println("admin API on " + config.admin().host() + ":" + p
          + " (token: " + (config.adminToken().isPresent() ? "admin.token" : AdminToken.file(config).toAbsolutePath())
          + ")"));
      if (config.metrics().enabled()) {
        main.out().println("metrics on http://" + config.metrics().host() + ":" + server.metricsPort() + "/metrics");
      }
      main.out().println("database: " + (server.embeddedDatabase()
          ? "embedded PostgreSQL in " + config.dataDir().resolve("postgres").toAbsolutePath()
          : "external"));
      main.out().flush();
      server.awaitTermination();
      return 0;
    }
  }

  @Command(name = "check-config", description = "Validate the configuration (the TLS certificate and key files included) and exit: 0 when valid, 2 otherwise.")
  static final class CheckConfig implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
      HomeserverConfig config = main.config(Map.of());
      // The key-encryption key and the TLS files are read too: a bad one would otherwise show only at the next start.
      KeyEncryptionKeys.read(config);
      PublicPortTls.check(config.tls());
      InternalPortTls.check(config.internalTls());
      main.out().println("configuration is valid");
      return 0;
    }
  }

  @Command(name = "config-reference", description = "Print every configuration key as a Markdown table.")
  static final class ConfigReference implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Override
    public Integer call() {
      main.out().print(referenceTable());
      main.out().flush();
      return 0;
    }
  }

  /** The configuration reference of README.md, made from the schema so the two cannot drift apart. */
  static String referenceTable() {
    StringBuilder table = new StringBuilder("| key | default | allowed | meaning |\n|---|---|---|---|\n");
    for (Setting<?> s : Homeserver.configLoader(Map.of()).keys()) {
      table.append("| `").append(s.key()).append("` | ")
          .append(s.defaultText().isEmpty() ? "(empty)" : "`" + s.defaultText() + "`").append(" | ")
          .append(s.allowed()).append(" | ")
          .append(s.description()).append(" |\n");
    }
    return table.toString();
  }

  /** The names {@code --service} accepts. */
  static final class ServiceNames implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return Homeserver.SERVICES.iterator();
    }
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"homeserver " + Version.current()};
    }
  }
}
