package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The homeservers a.test, b.test and c.test (the link between a and c through a fault proxy each
 * way) and the test's own peer d.test, started for FederationTest and its nested classes (three
 * `serve` processes take a while to start) and stopped after them, so they hold no database
 * connections while other tests run. The test class is extended with this class, which prints the
 * homeservers' log tails when one of its tests fails.
 */
final class FederationFixture implements TestWatcher {
  static final String A = "a.test";
  static final String B = "b.test";
  static final String C = "c.test";
  /** The test's own peer, in every homeserver's peer table. */
  static final String D = "d.test";

  private static FederatedHomeservers servers;
  private static RoguePeer rogue;

  static synchronized FederatedHomeservers servers() {
    start();
    return servers;
  }

  static synchronized RoguePeer rogue() {
    start();
    return rogue;
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    if (servers != null) {
      System.err.println("homeserver logs of " + context.getDisplayName() + ":" + servers.logTails(80));
    }
  }

  /** A new user of {@code domain} with a unique handle starting with {@code name}, and one signed-in client. */
  static TestMember user(String domain, String name) {
    String handle = name + "-" + UUID.randomUUID().toString().substring(0, 8);
    TestHomeserver.registerUser(servers().channel(domain), handle);
    return TestMember.register(servers().channel(domain), domain, handle);
  }

  /**
   * Runs interop/'s {@code scenarios} with ts-mls clients against a (the target), b (the peer) and
   * c (the third homeserver), each in a node process of its own and all at once (they wait on
   * round trips between the homeservers far more than on the processor); each must pass within 5
   * minutes. Prints what they printed.
   */
  static void interop(String... scenarios) throws Exception {
    Path interop = Path.of("..", "interop").toAbsolutePath().normalize();
    List<Process> running = new ArrayList<>();
    List<Path> outputs = new ArrayList<>();
    for (String scenario : scenarios) {
      Path output = Files.createTempFile("interop-" + scenario, ".log");
      running.add(new ProcessBuilder("node", "run.mjs", "--plaintext",
          "--target", "127.0.0.1:" + servers().publicPort(A), "--peer-target", "127.0.0.1:" + servers().publicPort(B),
          "--third-target", "127.0.0.1:" + servers().publicPort(C), "--scenario", scenario)
          .directory(interop.toFile()).redirectErrorStream(true).redirectOutput(output.toFile()).start());
      outputs.add(output);
    }
    StringBuilder failures = new StringBuilder();
    for (int i = 0; i < running.size(); i++) {
      Process node = running.get(i);
      boolean finished = node.waitFor(5, TimeUnit.MINUTES);
      if (!finished) {
        node.destroyForcibly().waitFor();
      }
      String printed = Files.readString(outputs.get(i));
      System.out.print(printed);
      if (!finished || node.exitValue() != 0) {
        failures.append(finished ? "" : scenarios[i] + " did not finish in 5 minutes\n").append(printed);
      }
    }
    assertTrue(failures.isEmpty(), "a scenario failed:\n" + failures);
  }

  private static synchronized void start() {
    if (servers != null) {
      return;
    }
    try {
      int roguePort = TestHomeserver.freePort();
      servers = FederatedHomeservers.start(List.of(A, B, C), Map.of(D, roguePort), List.of(List.of(A, C)));
      rogue = RoguePeer.start(D, roguePort, servers.ca, servers.caFile, Files.createTempDirectory("rogue-peer"));
    } catch (Exception e) {
      throw new IllegalStateException("the federated homeservers did not start", e);
    }
  }

  static synchronized void stop() {
    if (rogue != null) {
      rogue.close();
    }
    if (servers != null) {
      servers.close();
    }
    servers = null;
    rogue = null;
  }
}
