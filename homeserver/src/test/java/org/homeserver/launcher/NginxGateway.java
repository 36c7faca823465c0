package org.homeserver.launcher;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.homeserver.platform.testing.Eventually;

/**
 * nginx from the operating system's package, run as deploy/nginx configures it: nginx.conf,
 * server.conf and the generated grpc-services.conf as they are in deploy/, with this test's own
 * listen.conf (plaintext, or TLS with a test certificate) and upstreams.conf (the ports of the
 * processes it started). Its error log is kept for a failing test.
 */
final class NginxGateway implements AutoCloseable {
  private static final Path DEPLOY = Path.of("..", "deploy", "nginx");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  final int port;
  private final Path dir;
  private final Process process;

  private NginxGateway(int port, Path dir, Process process) {
    this.port = port;
    this.dir = dir;
    this.process = process;
  }

  /**
   * Starts nginx on a free loopback port with TLS (the certificate and key in PEM files), routing
   * to {@code upstreams}: for each homeserver service, the public ports of its instances.
   */
  static NginxGateway start(Map<String, List<Integer>> upstreams, Path certificateFile, Path keyFile)
      throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("nginx-gateway");
    Path conf = Files.createDirectories(dir.resolve("homeserver"));
    Files.createDirectories(dir.resolve("logs"));
    Files.copy(DEPLOY.resolve("nginx.conf"), dir.resolve("nginx.conf"));
    for (String file : List.of("server.conf", "grpc-services.conf")) {
      Files.copy(DEPLOY.resolve(file), conf.resolve(file));
    }
    int port = TestHomeserver.freePort();
    // As the shipped listen.conf, on a loopback port with the test's certificate.
    Files.writeString(conf.resolve("listen.conf"), "listen 127.0.0.1:" + port + " ssl http2;\n"
        + "ssl_certificate " + certificateFile.toAbsolutePath() + ";\n"
        + "ssl_certificate_key " + keyFile.toAbsolutePath() + ";\n"
        + "ssl_protocols TLSv1.3;\n");
    StringBuilder upstreamConf = new StringBuilder();
    upstreams.forEach((service, ports) -> {
      upstreamConf.append("upstream ").append(service).append(" {\n");
      ports.forEach(p -> upstreamConf.append("    server 127.0.0.1:").append(p)
          .append(" max_fails=1 fail_timeout=10s;\n"));
      upstreamConf.append("    keepalive 16;\n}\n");
    });
    Files.writeString(conf.resolve("upstreams.conf"), upstreamConf.toString());
    Path log = dir.resolve("logs").resolve("error.log");
    Process process = new ProcessBuilder(List.of(nginx(), "-p", dir + "/", "-c", dir.resolve("nginx.conf").toString(),
        "-g", "daemon off; pid " + dir.resolve("nginx.pid") + "; error_log " + log + " info;"))
        .redirectErrorStream(true).redirectOutput(dir.resolve("logs").resolve("stdout.log").toFile()).start();
    NginxGateway gateway = new NginxGateway(port, dir, process);
    Eventually.until("nginx accepts connections on port " + port, START_TIMEOUT, () -> {
      if (!process.isAlive()) {
        throw new IllegalStateException("nginx exited:\n" + gateway.logTail(40));
      }
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        return true;
      } catch (IOException notYet) {
        return false;
      }
    });
    return gateway;
  }

  /** nginx from the PATH or Debian's place for it. */
  private static String nginx() {
    for (String candidate : List.of("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return candidate;
      }
    }
    throw new IllegalStateException("nginx is not installed: `apt-get install nginx` (.ci/run does)");
  }

  /** The end of nginx's own output and error log. */
  String logTail(int lines) {
    StringBuilder out = new StringBuilder();
    for (Path file : List.of(dir.resolve("logs").resolve("stdout.log"), dir.resolve("logs").resolve("error.log"))) {
      try {
        List<String> all = Files.exists(file) ? Files.readAllLines(file) : List.of();
        out.append("== ").append(file).append('\n')
            .append(String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()))).append('\n');
      } catch (IOException e) {
        out.append("(").append(file).append(" unreadable: ").append(e).append(")\n");
      }
    }
    return out.toString();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
