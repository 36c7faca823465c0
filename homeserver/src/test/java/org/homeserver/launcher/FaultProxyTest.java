package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fault proxy on real loopback sockets, in front of an echo server. */
class FaultProxyTest {
  /** Long enough for any loopback round trip; a read that waits this long means nothing came. */
  private static final int READ_TIMEOUT_MILLIS = 10_000;

  private ServerSocket echo;
  private FaultProxy proxy;

  @BeforeEach
  void startEchoServerBehindProxy() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().start(() -> {
      while (!echo.isClosed()) {
        try {
          Socket connection = echo.accept();
          Thread.ofVirtual().start(() -> echoUntilEnd(connection));
        } catch (IOException e) {
          // Closed by the test.
        }
      }
    });
    proxy = FaultProxy.start(0, "127.0.0.1", echo.getLocalPort());
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    echo.close();
  }

  @Test
  void bytesPassBothWaysUnchangedAndAnEndPassesThrough() throws Exception {
    byte[] sent = new byte[200_000];
    new Random(7).nextBytes(sent);
    try (Socket client = connect()) {
      Thread writer = Thread.ofVirtual().start(() -> {
        try {
          client.getOutputStream().write(sent);
          client.shutdownOutput();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      byte[] received = client.getInputStream().readNBytes(sent.length + 1);
      writer.join();

      // One byte more was asked for: the echo server's end after ours arrives as the end of the stream.
      assertArrayEquals(sent, received);
    }
    assertEquals(1, proxy.connectionsAccepted());
    assertEquals(2L * sent.length, proxy.bytesForwarded());
  }

  @Test
  void cutResetsOpenConnectionsAndNewOnesGetNoEcho() throws Exception {
    try (Socket open = connect()) {
      assertEquals(1, roundTrip(open, 1));

      proxy.cut();

      assertBroken(open);
      try (Socket during = connect()) {
        assertBroken(during);
      }
    }
    assertEquals(2, proxy.connectionsAccepted());
  }

  @Test
  void restoreRelaysNewConnectionsAgain() throws Exception {
    proxy.cut();
    try (Socket during = connect()) {
      assertBroken(during);
    }

    proxy.restore();

    try (Socket after = connect()) {
      assertEquals(42, roundTrip(after, 42));
    }
  }

  @Test
  void delayHoldsEachWayOfARoundTrip() throws Exception {
    Duration delay = Duration.ofMillis(300);
    try (Socket client = connect()) {
      proxy.delay(delay);

      long start = System.nanoTime();
      assertEquals(5, roundTrip(client, 5));
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      // The request and the echo are each held for the delay.
      assertTrue(took.compareTo(delay.multipliedBy(2)) >= 0, () -> "round trip took " + took);
    }
  }

  @Test
  void closeStopsListeningAndResetsOpenConnections() throws Exception {
    try (Socket open = connect()) {
      assertEquals(3, roundTrip(open, 3));

      proxy.close();

      assertBroken(open);
      assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", proxy.port()).close());
    }
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket("127.0.0.1", proxy.port());
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    return socket;
  }

  private static int roundTrip(Socket socket, int value) throws IOException {
    socket.getOutputStream().write(value);
    return socket.getInputStream().read();
  }

  /** A byte sent on {@code socket} comes back neither echoed nor late: the connection ends or is reset. */
  private static void assertBroken(Socket socket) {
    try {
      assertEquals(-1, roundTrip(socket, 9), "the connection still carries bytes");
    } catch (SocketTimeoutException e) {
      fail("the connection neither carried the byte nor ended", e);
    } catch (IOException e) {
      // Reset, as a cut link is.
    }
  }

  private static void echoUntilEnd(Socket connection) {
    try (connection; InputStream in = connection.getInputStream(); OutputStream out = connection.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException e) {
      // Reset by the proxy.
    }
  }
}
