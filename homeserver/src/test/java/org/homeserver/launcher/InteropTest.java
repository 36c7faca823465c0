package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.homeserver.platform.testing.TestPostgres;
import org.homeserver.platform.testing.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The interop/ suite: ts-mls, an MLS implementation independent of ours, drives a homeserver process
 * (`serve`, configured as an operator would) through each scenario of interop/run.mjs, over the
 * public gRPC port with TLS, the client verifying the certificate against a test CA. Needs Node.js
 * 20 or later and `npm ci` in interop/ (bin/test runs it).
 */
class InteropTest {
  private static final Path INTEROP = Path.of("..", "interop").toAbsolutePath().normalize();
  private static final long SCENARIO_MINUTES = 10;
  private static HomeserverProcess server;

  @BeforeAll
  static void start() throws Exception {
    assertTrue(Files.isDirectory(INTEROP.resolve("node_modules")),
        "interop/node_modules is missing: run `npm ci` in interop/ (bin/test does)");
    server = HomeserverProcess.startWithTls(Map.of(
        "database.url", TestPostgres.freshDatabase().jdbcUrl(),
        "redis.url", TestRedis.URL,
        "redis.key-prefix", "hs-test-" + UUID.randomUUID() + ":",
        "directory.lookups-per-minute", "100000"));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"connection", "big-group", "offline", "grease", "suites", "refusals", "filtering"})
  void scenario(String name) throws IOException, InterruptedException {
    Path output = Files.createTempFile("interop-" + name, ".log");
    // The certificate names localhost: the client checks it against the target's host name.
    Process node = new ProcessBuilder("node", "run.mjs", "--target", "localhost:" + server.port,
        "--ca", server.caFile.orElseThrow().toString(), "--scenario", name)
        .directory(INTEROP.toFile())
        .redirectErrorStream(true)
        .redirectOutput(output.toFile())
        .start();
    boolean finished = node.waitFor(SCENARIO_MINUTES, TimeUnit.MINUTES);
    if (!finished) {
      node.destroyForcibly().waitFor();
    }
    String printed = Files.readString(output);
    System.out.print(printed);
    assertTrue(finished, "scenario " + name + " did not finish in " + SCENARIO_MINUTES + " minutes:\n" + printed);
    assertEquals(0, node.exitValue(), "scenario " + name + " failed:\n" + printed);
  }
}
