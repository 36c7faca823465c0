package org.homeserver.platform.testing;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redis server of a test's own (redis-server from the PATH, on a free loopback port, keeping
 * nothing on disk), so the test can kill it and start it again empty without disturbing the
 * shared Redis other tests use.
 */
public final class RedisProcess implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
  private final int port;
  private final Path log;
  private Process process;

  private RedisProcess(int port) throws IOException {
    this.port = port;
    this.log = Files.createTempFile("redis-" + port, ".log");
  }

  /** Starts a new, empty Redis on a free port. */
  public static RedisProcess start() throws IOException, InterruptedException {
    RedisProcess redis = new RedisProcess(TestPorts.free());
    redis.restart();
    return redis;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  /** Kills the server at once (SIGKILL): connections drop, everything it held is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Starts the server again on the same port, empty, and waits until it accepts connections. */
  public void restart() throws IOException, InterruptedException {
    process = new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--dir", System.getProperty("java.io.tmpdir")))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    Eventually.until("redis-server accepts connections on port " + port + " (log: " + log + ")", START_TIMEOUT,
        () -> {
          if (!process.isAlive()) {
            throw new IllegalStateException("redis-server exited; its log is " + log);
          }
          try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
          } catch (IOException notYet) {
            return false;
          }
        });
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
