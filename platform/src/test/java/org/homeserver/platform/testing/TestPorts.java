package org.homeserver.platform.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for servers a test starts, which it must name before they listen (another process's
 * configuration, a restart on the same port). A port the kernel picks and the test lets go may be
 * taken by anyone before the server binds it: by an outgoing connection, whose ports come from the
 * same ephemeral range, or by a test in the other test JVM. So each test JVM hands out ports from
 * a block of its own below the ephemeral range (Linux: 32768 and up), the block chosen by its
 * surefire fork number ({@code homeserver.test.fork}), each port checked free before it is given.
 * Two test runs at once on one machine (two checkouts) give one of them another base with
 * {@code HOMESERVER_TEST_PORT_BASE} (default 20000; 8000 keeps the four blocks below 20000).
 */
public final class TestPorts {
  private static final int FIRST = Integer.parseInt(System.getenv().getOrDefault("HOMESERVER_TEST_PORT_BASE", "20000"));
  private static final int BLOCK = 3000;
  private static final int FORK = Integer.getInteger("homeserver.test.fork", 1);
  private static final int START = FIRST + (FORK - 1) % 4 * BLOCK;
  private static final AtomicInteger NEXT = new AtomicInteger();

  private TestPorts() {}

  /** A port no server on this machine listens on now, that no other test JVM of this run hands out. */
  public static int free() {
    for (int tried = 0; tried < BLOCK; tried++) {
      int port = START + Math.floorMod(NEXT.getAndIncrement(), BLOCK);
      try (ServerSocket probe = new ServerSocket(port)) {
        return port;
      } catch (IOException taken) {
        // Someone listens there already; the next one.
      }
    }
    throw new IllegalStateException("no free port in " + START + ".." + (START + BLOCK - 1));
  }
}
