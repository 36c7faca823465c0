package org.homeserver.launcher;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The homeservers a.test, b.test and c.test (the link between a and c through a fault proxy each
 * way) and the test's own peer d.test, started once for the federation tests of one test run and
 * stopped at its end (three `serve` processes take a while to start). A test class that uses them
 * is extended with this class.
 */
final class FederationFixture implements BeforeAllCallback {
  static final String A = "a.test";
  static final String B = "b.test";
  static final String C = "c.test";
  /** The test's own peer, in every homeserver's peer table. */
  static final String D = "d.test";

  private static FederatedHomeservers servers;
  private static RoguePeer rogue;

  /** Started before the first class that uses them; closed with the run's root store. */
  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).computeIfAbsent(FederationFixture.class,
        unused -> {
          try {
            start();
          } catch (Exception e) {
            throw new IllegalStateException("the federated homeservers did not start", e);
          }
          return (AutoCloseable) FederationFixture::stop;
        });
  }

  static synchronized FederatedHomeservers servers() throws Exception {
    start();
    return servers;
  }

  static synchronized RoguePeer rogue() throws Exception {
    start();
    return rogue;
  }

  private static void start() throws Exception {
    if (servers != null) {
      return;
    }
    int roguePort = TestHomeserver.freePort();
    servers = FederatedHomeservers.start(List.of(A, B, C), Map.of(D, roguePort), List.of(List.of(A, C)));
    rogue = RoguePeer.start(D, roguePort, servers.ca, servers.caFile, Files.createTempDirectory("rogue-peer"));
  }

  private static synchronized void stop() {
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
