package org.homeserver.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on loopback that a test puts between a client and a server to cause outages on
 * purpose: it forwards the bytes of every connection unchanged both ways (TLS passes through), and
 * on {@link #cut()} resets every relayed connection and every new one until {@link #restore()}.
 * It runs on virtual threads, which are daemon threads.
 */
final class FaultProxy implements AutoCloseable {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final Set<Relay> relays = ConcurrentHashMap.newKeySet();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong forwarded = new AtomicLong();
  private volatile boolean cut;
  private volatile Duration delay = Duration.ZERO;

  private FaultProxy(ServerSocket listener, InetSocketAddress target) {
    this.listener = listener;
    this.target = target;
  }

  /** Listens on {@code port} of loopback (0: a free one) and relays each connection to host:targetPort. */
  static FaultProxy start(int port, String host, int targetPort) throws IOException {
    ServerSocket listener = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
    FaultProxy proxy = new FaultProxy(listener, new InetSocketAddress(host, targetPort));
    Thread.ofVirtual().name("fault-proxy-" + listener.getLocalPort()).start(proxy::acceptAll);
    return proxy;
  }

  /** The port it listens on. */
  int port() {
    return listener.getLocalPort();
  }

  /** Resets every relayed connection now, and every new one until {@link #restore()}. */
  void cut() {
    cut = true;
    relays.forEach(Relay::reset);
  }

  /** Relays new connections again. */
  void restore() {
    cut = false;
  }

  /** Holds each chunk read from either side for {@code latency} before passing it on; zero: not at all. */
  void delay(Duration latency) {
    if (latency.isNegative()) {
      throw new IllegalArgumentException("a delay can't be negative: " + latency);
    }
    delay = latency;
  }

  /** Connections accepted so far, those reset at once while cut included. */
  long connectionsAccepted() {
    return accepted.get();
  }

  /** Bytes passed on so far, both ways together. */
  long bytesForwarded() {
    return forwarded.get();
  }

  /** Stops listening and resets every relayed connection. */
  @Override
  public void close() {
    cut = true;
    try {
      listener.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      relays.forEach(Relay::reset);
    }
  }

  private void acceptAll() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        accepted.incrementAndGet();
        Thread.ofVirtual().start(() -> relay(client));
      } catch (IOException e) {
        // The listener was closed: nothing more to accept.
      }
    }
  }

  private void relay(Socket client) {
    if (cut) {
      reset(client);
      return;
    }
    Socket upstream = new Socket();
    try {
      upstream.connect(target, (int) CONNECT_TIMEOUT.toMillis());
    } catch (IOException e) {
      reset(client);
      reset(upstream);
      return;
    }
    Relay relay = new Relay(client, upstream);
    relays.add(relay);
    // A cut() between the check above and add() did not see this relay; this check does.
    if (cut) {
      relay.reset();
      return;
    }
    Thread.ofVirtual().start(() -> relay.pump(client, upstream));
    relay.pump(upstream, client);
  }

  private static void reset(Socket socket) {
    try {
      // Linger 0 makes close() send a reset, as a broken link would, instead of an orderly end.
      socket.setSoLinger(true, 0);
      socket.close();
    } catch (IOException e) {
      // Already closed.
    }
  }

  /** One relayed connection: the accepted socket and the one to the target. */
  private final class Relay {
    private final Socket client;
    private final Socket upstream;
    private final AtomicInteger endedDirections = new AtomicInteger();

    Relay(Socket client, Socket upstream) {
      this.client = client;
      this.upstream = upstream;
    }

    /**
     * Copies {@code from} to {@code to} until {@code from} ends, then ends {@code to}'s output so
     * half-closes pass. Each chunk is written by a scheduler of this direction once it has been held
     * for the delay set when it was read (never before an earlier chunk), so the reading goes on
     * while chunks wait.
     */
    void pump(Socket from, Socket to) {
      byte[] buffer = new byte[16 * 1024];
      ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().factory());
      try {
        // Not closed when done: closing a socket's stream closes the socket, and the other way may still run.
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        long lastDue = System.nanoTime();
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          byte[] chunk = Arrays.copyOf(buffer, n);
          lastDue = Math.max(lastDue, System.nanoTime() + delay.toNanos());
          writer.schedule(() -> {
            try {
              // Counted before the write, so that a peer that has read the bytes finds them counted.
              forwarded.addAndGet(chunk.length);
              out.write(chunk);
            } catch (IOException e) {
              reset();
            }
          }, lastDue - System.nanoTime(), TimeUnit.NANOSECONDS);
        }
        writer.schedule(() -> {
          try {
            to.shutdownOutput();
            if (endedDirections.incrementAndGet() == 2) {
              close();
            }
          } catch (IOException e) {
            reset();
          }
        }, lastDue - System.nanoTime(), TimeUnit.NANOSECONDS);
      } catch (IOException e) {
        reset();
      } finally {
        writer.shutdown();   // what is scheduled still runs
      }
    }

    void reset() {
      relays.remove(this);
      FaultProxy.reset(client);
      FaultProxy.reset(upstream);
    }

    private void close() throws IOException {
      relays.remove(this);
      client.close();
      upstream.close();
    }
  }
}
