package org.homeserver.launcher;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
   * c (the third homeserver), all at once; each must pass within 5 minutes. Prints what they printed.
   */
  static void interop(String... scenarios) throws Exception {
    InteropScenarios.start(List.of("--plaintext", "--target", "127.0.0.1:" + servers().publicPort(A),
        "--peer-target", "127.0.0.1:" + servers().publicPort(B), "--third-target", "127.0.0.1:" + servers().publicPort(C)),
        List.of(scenarios)).assertAllPass();
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
