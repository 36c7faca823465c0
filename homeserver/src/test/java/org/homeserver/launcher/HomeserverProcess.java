package org.homeserver.launcher;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.homeserver.platform.testing.TestCertificateAuthority;
import org.homeserver.platform.testing.TestCertificateAuthority.Issued;
import org.homeserver.platform.testing.TestCertificateAuthority.KeyFormat;

/**
 * A homeserver in its own operating-system process, started as an operator would (`serve`, the
 * configuration in HOMESERVER_* variables) from this test's classpath, so a test can run several
 * against one PostgreSQL and Redis, and kill one outright.
 */
final class HomeserverProcess implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  final int port;
  /** The channel to the public port: over TLS, trusting only the test CA, when started with TLS. */
  final ManagedChannel channel;
  /** With TLS, the PEM file of the CA that issued the public port's certificate (for localhost). */
  final Optional<Path> caFile;
  private final Process process;
  /** The class-data archive this process writes at its exit, if it is the one that does. */
  private Optional<Path> archiveWritten = Optional.empty();
  private final Path log;

  Path logPath() {
    return log;
  }

  /** The last {@code lines} lines of the process's log, for a failing test to print. */
  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(log " + log + " unreadable: " + e + ")";
    }
  }

  private HomeserverProcess(Process process, int port, Path log, Optional<TestCertificateAuthority> ca,
                            Optional<Path> caFile) throws SSLException {
    this.process = process;
    this.port = port;
    this.log = log;
    this.caFile = caFile;
    this.channel = ca.isPresent() ? TlsProbe.channel(port, ca.get().certificate())
        : NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  /** Starts `serve` with {@code settings} (configuration keys), its public port plaintext, and waits until it serves. */
  static HomeserverProcess start(Map<String, String> settings) throws IOException, InterruptedException {
    return start(settings, Optional.empty(), Optional.empty(), Optional.empty());
  }

  /**
   * Starts `serve --service {@code service}` with {@code settings}, its public port plaintext, and
   * waits until it serves; {@code settings} must say where the services it calls are.
   */
  static HomeserverProcess startService(String service, Map<String, String> settings)
      throws IOException, InterruptedException {
    return start(settings, Optional.empty(), Optional.empty(), Optional.of(service));
  }

  /**
   * Starts `serve` with {@code settings} and TLS on its public port, with a certificate for
   * localhost and 127.0.0.1 issued by a CA made for this process ({@link #caFile}).
   */
  static HomeserverProcess startWithTls(Map<String, String> settings) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("hs-process-tls");
    TestCertificateAuthority ca = TestCertificateAuthority.create("Homeserver Process Test CA");
    ca.writeCertificate(dir.resolve("ca.pem"));
    Issued issued = ca.issue("localhost");
    issued.writeChain(dir.resolve("fullchain.pem"));
    issued.writeKey(dir.resolve("privkey.pem"), KeyFormat.PKCS8);
    Map<String, String> all = new HashMap<>(settings);
    all.put("server.tls.certificate-file", dir.resolve("fullchain.pem").toString());
    all.put("server.tls.key-file", dir.resolve("privkey.pem").toString());
    return start(all, Optional.of(ca), Optional.of(dir.resolve("ca.pem")), Optional.empty());
  }

  private static HomeserverProcess start(Map<String, String> settings, Optional<TestCertificateAuthority> ca,
                                         Optional<Path> caFile, Optional<String> service)
      throws IOException, InterruptedException {
    int port = settings.containsKey("server.port") ? Integer.parseInt(settings.get("server.port"))
        : TestHomeserver.freePort();
    Map<String, String> all = new HashMap<>();
    all.put("domain", TestHomeserver.DOMAIN);
    all.put("server.host", "127.0.0.1");
    all.put("server.port", Integer.toString(port));
    all.put("internal.port", Integer.toString(TestHomeserver.freePort()));
    all.put("admin.port", "0");
    all.put("metrics.port", "0");
    all.put("data-dir", Files.createTempDirectory("hs-process").toString());
    all.put("auth.registration-rate-per-minute", "1000");
    all.put("auth.argon2.memory-kib", TestHomeserver.TEST_ARGON2_MEMORY_KIB);
    if (settings.containsKey("database.url")) {
      TestHomeserver.withTestKey(all, settings);
    }
    all.putAll(settings);

    Path log = Files.createTempFile("homeserver-process", ".log");
    String java = ProcessHandle.current().info().command().orElse("java");
    // C1 only: a test process starts in about half the time and has little to compile later; the
    // class-data archive halves it again.
    ClassDataArchive.Launch launch = ClassDataArchive.next();
    List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1"));
    command.addAll(launch.jvm());
    command.addAll(List.of("-cp", launch.classpath(), Main.class.getName(), "serve"));
    service.ifPresent(name -> command.addAll(List.of("--service", name)));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    for (var setting : Homeserver.configLoader(Map.of()).keys()) {
      String value = all.get(setting.key());
      if (value != null) {
        builder.environment().put(setting.environmentVariable(), value);
      }
    }
    HomeserverProcess server = new HomeserverProcess(builder.start(), port, log, ca, caFile);
    server.archiveWritten = launch.writes();
    server.awaitServing(service.map(List::of).orElse(Homeserver.SERVICES));
    return server;
  }

  private void awaitServing(List<String> services) throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the homeserver process exited with " + process.exitValue() + ":\n"
            + Files.readString(log));
      }
      if (Files.readString(log).contains(" serving " + String.join(", ", services) + " on ")) {
        return;
      }
      Thread.sleep(100);
    }
    close();
    throw new IllegalStateException("the homeserver process did not start in " + START_TIMEOUT + ":\n"
        + Files.readString(log));
  }

  /** Ends the process at once (SIGKILL): nothing gets to finish or flush. */
  void kill() throws InterruptedException {
    channel.shutdownNow();
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
    ended();
  }

  /**
   * Stops the process as an operator's {@code kill}, systemd or Kubernetes does (SIGTERM) and waits
   * for it to exit; returns its exit status.
   */
  int terminate() throws InterruptedException {
    channel.shutdownNow();
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the homeserver process did not stop within 60 s of SIGTERM:\n" + logTail(80));
    }
    ended();
    return process.exitValue();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    ended();
  }

  /** Once the process has exited: the class-data archive it was to write, if any, is taken or dropped. */
  private void ended() {
    archiveWritten.ifPresent(file -> ClassDataArchive.ended(file, !process.isAlive() && process.exitValue() == 0));
    archiveWritten = Optional.empty();
  }
}
