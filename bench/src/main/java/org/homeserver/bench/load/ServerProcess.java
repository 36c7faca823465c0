package org.homeserver.bench.load;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A homeserver started by {@code bin/homeserver serve} as a process of its own, on a scratch
 * database, with settings for a load test: open registration without practical rate limits, cheap
 * password hashing, day-long tokens, free loopback ports. Its output goes to {@code homeserver.log}
 * in the run directory; closing it stops it as an operator would (SIGTERM, then the drain).
 */
public final class ServerProcess implements AutoCloseable {
  static final String DOMAIN = "bench.example.org";
  /** The line {@code serve} prints once every port is open. */
  private static final String READY = "is serving gRPC on";
  /** Long enough for bin/homeserver to rebuild the jar first when the sources are newer. */
  private static final Duration START_TIMEOUT = Duration.ofMinutes(10);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
  private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");

  private final Process process;
  private final int port;
  private final int metricsPort;
  private final Path log;

  private ServerProcess(Process process, int port, int metricsPort, Path log) {
    this.process = process;
    this.port = port;
    this.metricsPort = metricsPort;
    this.log = log;
  }

  /** The server's heap after a full collection, and its resident memory. */
  public record Memory(long heapUsedBytes, long residentBytes) {}

  /**
   * Starts {@code launcher serve} with the given database and JVM options ({@code JAVA_TOOL_OPTIONS},
   * which every JVM reads: bin/homeserver passes no options of its own) and {@code overrides} on top
   * of the load-test settings, and waits until it serves.
   */
  public static ServerProcess start(Path launcher, Path runDirectory, String jdbcUrl, Postgres postgres, String jvmOptions,
      Map<String, String> overrides) throws IOException, InterruptedException {
    int port = freePort();
    int metricsPort = freePort();
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("domain", DOMAIN);
    settings.put("data-dir", runDirectory.resolve("data").toAbsolutePath().toString());
    settings.put("server.host", "127.0.0.1");
    settings.put("server.port", Integer.toString(port));
    settings.put("internal.port", Integer.toString(freePort()));
    settings.put("admin.port", "0");
    settings.put("metrics.port", Integer.toString(metricsPort));
    settings.put("database.url", jdbcUrl);
    settings.put("database.user", postgres.user());
    settings.put("database.password", postgres.password());
    // A scratch database needs a key-encryption key all the same; it dies with the run.
    settings.put("secrets.key-encryption-key", scratchKey());
    settings.put("auth.access-token-ttl", "24h");
    settings.put("auth.max-clients-per-user", Integer.toString(Registrations.CLIENTS_PER_USER));
    settings.put("auth.registration-rate-per-minute", "100000");
    settings.put("auth.password-attempts-per-minute", "100000");
    settings.put("auth.challenges-per-minute", "100000");
    // A connection request counts as a lookup: key-packages connects a few users with every target user.
    settings.put("directory.lookups-per-minute", "100000");
    // The smallest cost the schema allows: registering thousands of clients checks as many passwords.
    settings.put("auth.argon2.memory-kib", "1024");
    settings.put("auth.argon2.iterations", "1");
    settings.put("logging.level", "warn");
    settings.putAll(overrides);
    Path config = runDirectory.resolve("homeserver.yaml");
    Files.writeString(config, yaml(settings));

    Path log = runDirectory.resolve("homeserver.log");
    ProcessBuilder builder = new ProcessBuilder(launcher.toString(), "--config", config.toString(), "serve")
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    // Only this run's configuration file counts, not HOMESERVER_* of the calling shell.
    builder.environment().keySet().removeIf(name -> name.startsWith("HOMESERVER_"));
    builder.environment().put("JAVA_TOOL_OPTIONS", jvmOptions);
    Process process = builder.start();
    // An interrupted run (Ctrl-C) must not leave a server behind; after close() this finds it gone.
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroy, "stop-homeserver"));
    ServerProcess server = new ServerProcess(process, port, metricsPort, log);
    try {
      server.awaitReady();
    } catch (IOException | InterruptedException | RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  private static String scratchKey() {
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    return java.util.Base64.getEncoder().encodeToString(key);
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  public Path log() {
    return log;
  }

  /**
   * The value of an unlabelled meter the server exports on its metrics port (Prometheus text), e.g.
   * {@code notifier_push_jobs_pending}; empty if it exports none by that name or metrics are off.
   */
  OptionalDouble metric(String name) throws IOException, InterruptedException {
    try (HttpClient http = HttpClient.newHttpClient()) {
      String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
      return text.lines().filter(line -> line.startsWith(name + " "))
          .mapToDouble(line -> Double.parseDouble(line.substring(name.length() + 1).strip())).findFirst();
    }
  }

  /** Runs a full collection in the server ({@code jcmd GC.run}), then reads its heap and resident set. */
  Memory memoryAfterFullGc() throws IOException, InterruptedException {
    jcmd("GC.run");
    Matcher used = HEAP_USED.matcher(jcmd("GC.heap_info"));
    if (!used.find()) {
      throw new IOException("jcmd GC.heap_info of process " + pid() + " names no used heap");
    }
    Matcher rss = RSS.matcher(Files.readString(Path.of("/proc", Long.toString(pid()), "status")));
    return new Memory(Long.parseLong(used.group(1)) * 1024, rss.find() ? Long.parseLong(rss.group(1)) * 1024 : -1);
  }

  private String jcmd(String command) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException("jcmd " + pid() + " " + command + " failed: " + output.strip());
    }
    return output;
  }

  private void awaitReady() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains(READY)) {
        return;
      }
      if (!process.isAlive()) {
        throw new IOException("the homeserver exited with status " + process.exitValue() + ":\n" + tail());
      }
      Thread.sleep(200);
    }
    throw new IOException("the homeserver did not serve within " + START_TIMEOUT.toMinutes() + " minutes:\n" + tail());
  }

  /** The last lines of the server's output, for an error message. */
  String tail() throws IOException {
    List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }

  @Override
  public void close() throws InterruptedException {
    // bin/homeserver execs the JVM; anything else it started (a rebuild) goes too.
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor();
    }
  }

  /** One flat {@code key: "value"} line per setting; the loader reads dotted keys as nested ones. */
  private static String yaml(Map<String, String> settings) {
    return settings.entrySet().stream()
        .map(e -> e.getKey() + ": \"" + e.getValue().replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
        .collect(Collectors.joining("\n", "# Written by bench/load for one run.\n", "\n"));
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
