package org.homeserver.federation.discovery;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/** Asks one DNS server for SRV records: over UDP, once more on a timeout, and over TCP when UDP was truncated. */
final class DnsClient {
  static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");
  // systemd-resolved's stub: what most hosts without a nameserver line in resolv.conf still answer on.
  private static final InetSocketAddress STUB_RESOLVER = new InetSocketAddress("127.0.0.53", 53);
  private static final int MAX_UDP_MESSAGE = 512;
  private static final int ATTEMPTS = 2;

  // Unpredictable ids make a forged answer from off the path a guess (RFC 5452).
  private final SecureRandom ids = new SecureRandom();
  private final InetSocketAddress server;
  private final Duration timeout;

  DnsClient(InetSocketAddress server, Duration timeout) {
    this.server = server;
    this.timeout = timeout;
  }

  /** The client for federation.dns-server (host:port), or for the system's first nameserver when it is empty. */
  static DnsClient forServer(Optional<String> hostPort) {
    InetSocketAddress server = hostPort.map(HostPort::parse)
        .map(configured -> new InetSocketAddress(configured.host(), configured.port()))
        .orElseGet(DnsClient::systemNameserver);
    return new DnsClient(server, TIMEOUT);
  }

  InetSocketAddress server() {
    return server;
  }

  /** The SRV records of {@code name} (no trailing dot), or why there are none. */
  SrvAnswer querySrv(String name) {
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        int id = ids.nextInt(0x10000);
        Optional<byte[]> answer = overUdp(DnsWire.srvQuery(id, name), id);
        if (answer.isPresent()) {
          return DnsWire.isTruncated(answer.get()) ? overTcp(name) : DnsWire.readSrv(answer.get(), name, false);
        }
      } catch (IOException e) {
        return new SrvAnswer.Failure("could not ask " + describe() + ": " + e.getMessage());
      }
    }
    return new SrvAnswer.Failure(describe() + " did not answer within " + timeout.toMillis() + " ms, twice");
  }

  // Empty on a timeout. Packets that are not the answer to this query are dropped and the wait goes on.
  private Optional<byte[]> overUdp(byte[] query, int id) throws IOException {
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.connect(server);
      socket.send(new DatagramPacket(query, query.length));
      long deadline = System.nanoTime() + timeout.toNanos();
      byte[] buffer = new byte[MAX_UDP_MESSAGE];
      while (true) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          return Optional.empty();
        }
        socket.setSoTimeout((int) left);
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        try {
          socket.receive(packet);
        } catch (SocketTimeoutException e) {
          return Optional.empty();
        }
        if (DnsWire.isResponseTo(buffer, packet.getLength(), id)) {
          return Optional.of(Arrays.copyOf(buffer, packet.getLength()));
        }
      }
    }
  }

  // RFC 1035 4.2.2: over TCP each message is preceded by its length in two bytes.
  private SrvAnswer overTcp(String name) {
    int id = ids.nextInt(0x10000);
    byte[] query = DnsWire.srvQuery(id, name);
    try (Socket socket = new Socket()) {
      socket.connect(server, (int) timeout.toMillis());
      socket.setSoTimeout((int) timeout.toMillis());
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      out.writeShort(query.length);
      out.write(query);
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] answer = new byte[in.readUnsignedShort()];
      in.readFully(answer);
      if (!DnsWire.isResponseTo(answer, answer.length, id)) {
        return new SrvAnswer.Failure(describe() + " answered another query over TCP");
      }
      return DnsWire.readSrv(answer, name, true);
    } catch (IOException e) {
      return new SrvAnswer.Failure(
          "the UDP answer was truncated and TCP to " + describe() + " failed: " + e.getMessage());
    }
  }

  private String describe() {
    return "the DNS server " + server.getHostString() + ":" + server.getPort();
  }

  private static InetSocketAddress systemNameserver() {
    try {
      return Files.readAllLines(RESOLV_CONF).stream()
          .map(String::strip)
          .filter(line -> line.startsWith("nameserver"))
          .map(line -> line.substring("nameserver".length()).strip())
          .filter(address -> !address.isEmpty())
          .findFirst()
          .map(address -> new InetSocketAddress(address, 53))
          .orElse(STUB_RESOLVER);
    } catch (IOException e) {
      return STUB_RESOLVER;
    }
  }
}
