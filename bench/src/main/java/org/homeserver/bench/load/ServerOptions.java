package org.homeserver.bench.load;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The command-line options of the homeserver process a run starts and of the PostgreSQL it runs on,
 * shared by bench/load and bench/compare (a picocli mixin).
 */
public final class ServerOptions {
  @Option(names = "--server-jvm-options", defaultValue = "-Xmx4g",
      description = "The homeserver JVM's options, passed as JAVA_TOOL_OPTIONS (default: ${DEFAULT-VALUE}).")
  private String jvmOptions;

  @Option(names = "--server-setting", paramLabel = "KEY=VALUE",
      description = "A homeserver setting on top of the load-test ones (repeatable), e.g. database.pool-size=20.")
  private Map<String, String> settings = new LinkedHashMap<>();

  @Option(names = "--postgres-host", defaultValue = "localhost",
      description = "PostgreSQL host (default: ${DEFAULT-VALUE}).")
  private String postgresHost;

  @Option(names = "--postgres-port", defaultValue = "5432",
      description = "PostgreSQL port (default: ${DEFAULT-VALUE}).")
  private int postgresPort;

  @Option(names = "--postgres-user", defaultValue = "postgres",
      description = "PostgreSQL user, allowed to create databases (default: ${DEFAULT-VALUE}); password from $PGPASSWORD.")
  private String postgresUser;

  @Option(names = "--homeserver", defaultValue = "bin/homeserver",
      description = "The homeserver executable (default: ${DEFAULT-VALUE}).")
  private Path launcher;

  public String jvmOptions() {
    return jvmOptions;
  }

  /** The settings given with --server-setting, in their order. */
  public Map<String, String> settings() {
    return settings;
  }

  public Path launcher() {
    return launcher;
  }

  /** The PostgreSQL named by the options, with the password from {@code $PGPASSWORD} if any. */
  public Postgres postgres() {
    return new Postgres(postgresHost, postgresPort, postgresUser, System.getenv().getOrDefault("PGPASSWORD", ""));
  }
}
