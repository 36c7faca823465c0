package org.homeserver.federation.discovery;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A small DNS server on loopback for tests: answers SRV queries from a table over UDP and TCP, and counts them. */
final class DnsResponder implements AutoCloseable {

  /** What the responder says to a query for one name. */
  sealed interface Reply {
    /** SRV records in zone-file form ("10 5 7443 hs.b.test."); over UDP only a truncated header if asked. */
    record Srv(long ttl, List<String> records, boolean truncateOverUdp) implements Reply {}

    record NoSuchName() implements Reply {}

    record ServerFailure() implements Reply {}

    /** No answer at all, as from a server that is down or a packet that was lost. */
    record Silence() implements Reply {}
  }

  static Reply srv(long ttl, String... records) {
    return new Reply.Srv(ttl, List.of(records), false);
  }

  private final Map<String, Reply> replies = new ConcurrentHashMap<>();
  private final AtomicInteger udpQueries = new AtomicInteger();
  private final AtomicInteger tcpQueries = new AtomicInteger();
  private final DatagramSocket udp;
  private final ServerSocket tcp;

  private DnsResponder(DatagramSocket udp, ServerSocket tcp) {
    this.udp = udp;
    this.tcp = tcp;
    Thread.ofVirtual().start(this::serveUdp);
    Thread.ofVirtual().start(this::serveTcp);
  }

  /** A responder on a loopback port free for both UDP and TCP; names it has no reply for are NXDOMAIN. */
  static DnsResponder start() throws IOException {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    for (int attempt = 0; ; attempt++) {
      DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, 0));
      try {
        return new DnsResponder(udp, new ServerSocket(udp.getLocalPort(), 50, loopback));
      } catch (IOException taken) {
        udp.close();
        if (attempt == 10) {
          throw taken;
        }
      }
    }
  }

  void answer(String name, Reply reply) {
    replies.put(name, reply);
  }

  /** host:port, as federation.dns-server takes it. */
  String hostPort() {
    return "127.0.0.1:" + udp.getLocalPort();
  }

  InetSocketAddress address() {
    return new InetSocketAddress("127.0.0.1", udp.getLocalPort());
  }

  int udpQueries() {
    return udpQueries.get();
  }

  int tcpQueries() {
    return tcpQueries.get();
  }

  int queries() {
    return udpQueries() + tcpQueries();
  }

  @Override
  public void close() throws IOException {
    udp.close();
    tcp.close();
  }

  private void serveUdp() {
    byte[] buffer = new byte[512];
    while (!udp.isClosed()) {
      try {
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        udp.receive(packet);
        udpQueries.incrementAndGet();
        byte[] response = respond(Arrays.copyOf(buffer, packet.getLength()), true);
        if (response.length > 0) {
          udp.send(new DatagramPacket(response, response.length, packet.getSocketAddress()));
        }
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serveTcp() {
    while (!tcp.isClosed()) {
      try (Socket connection = tcp.accept()) {
        DataInputStream in = new DataInputStream(connection.getInputStream());
        byte[] query = new byte[in.readUnsignedShort()];
        in.readFully(query);
        tcpQueries.incrementAndGet();
        byte[] response = respond(query, false);
        DataOutputStream out = new DataOutputStream(connection.getOutputStream());
        out.writeShort(response.length);
        out.write(response);
        out.flush();
      } catch (IOException closed) {
        if (tcp.isClosed()) {
          return;
        }
      }
    }
  }

  // The response echoes the question; each answer's owner is a pointer to it (0xC00C), as real servers write.
  private byte[] respond(byte[] query, boolean overUdp) {
    int questionEnd = DnsWire.HEADER_LENGTH;
    StringBuilder name = new StringBuilder();
    while (query[questionEnd] != 0) {
      int length = query[questionEnd];
      name.append(name.isEmpty() ? "" : ".")
          .append(new String(query, questionEnd + 1, length, StandardCharsets.US_ASCII));
      questionEnd += 1 + length;
    }
    questionEnd += 1 + 4;
    Reply reply = replies.getOrDefault(name.toString().toLowerCase(Locale.ROOT), new Reply.NoSuchName());
    ByteBuffer out = ByteBuffer.allocate(4096);
    int flags = DnsWire.FLAG_RESPONSE | DnsWire.FLAG_RECURSION_DESIRED | 0x0080;
    List<String> records = List.of();
    switch (reply) {
      case Reply.Silence silence -> { return new byte[0]; }
      case Reply.NoSuchName none -> flags |= 3;
      case Reply.ServerFailure failure -> flags |= 2;
      case Reply.Srv srv when srv.truncateOverUdp() && overUdp -> flags |= DnsWire.FLAG_TRUNCATED;
      case Reply.Srv srv -> records = srv.records();
    }
    out.putShort(ByteBuffer.wrap(query).getShort(0)).putShort((short) flags).putShort((short) 1)
        .putShort((short) records.size()).putShort((short) 0).putShort((short) 0);
    out.put(query, DnsWire.HEADER_LENGTH, questionEnd - DnsWire.HEADER_LENGTH);
    for (String record : records) {
      putSrv(out, ((Reply.Srv) reply).ttl(), record.split(" "));
    }
    return Arrays.copyOf(out.array(), out.position());
  }

  private static void putSrv(ByteBuffer out, long ttl, String[] fields) {
    out.putShort((short) 0xC00C).putShort((short) DnsWire.TYPE_SRV).putShort((short) DnsWire.CLASS_IN)
        .putInt((int) ttl);
    int lengthAt = out.position();
    out.putShort((short) 0);
    out.putShort((short) Integer.parseInt(fields[0])).putShort((short) Integer.parseInt(fields[1]))
        .putShort((short) Integer.parseInt(fields[2]));
    for (String label : fields[3].split("\\.")) {
      if (!label.isEmpty()) {
        out.put((byte) label.length()).put(label.getBytes(StandardCharsets.US_ASCII));
      }
    }
    out.put((byte) 0);
    out.putShort(lengthAt, (short) (out.position() - lengthAt - 2));
  }
}
