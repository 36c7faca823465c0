package org.homeserver.federation.discovery;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** DNS messages in wire format (RFC 1035 4.1): an SRV query, and the SRV records of its response. */
final class DnsWire {
  static final int TYPE_SRV = 33;
  static final int CLASS_IN = 1;
  static final int FLAG_RESPONSE = 0x8000;
  static final int FLAG_TRUNCATED = 0x0200;
  static final int FLAG_RECURSION_DESIRED = 0x0100;
  static final int HEADER_LENGTH = 12;
  private static final int RCODE_SERVFAIL = 2;
  private static final int RCODE_NXDOMAIN = 3;
  // A pointer may only point backwards in a sane message; a bound on jumps ends a loop in a forged one.
  private static final int MAX_POINTER_JUMPS = 32;
  private static final int MAX_NAME_LENGTH = 255;

  private DnsWire() {}

  /** A query for the SRV records of {@code name} (no trailing dot), asking the server to recurse. */
  static byte[] srvQuery(int id, String name) {
    ByteBuffer out = ByteBuffer.allocate(HEADER_LENGTH + name.length() + 2 + 4);
    out.putShort((short) id).putShort((short) FLAG_RECURSION_DESIRED).putShort((short) 1)
        .putShort((short) 0).putShort((short) 0).putShort((short) 0);
    for (String label : name.split("\\.")) {
      byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
      if (bytes.length == 0 || bytes.length > 63) {
        throw new IllegalArgumentException("not a domain name: " + name);
      }
      out.put((byte) bytes.length).put(bytes);
    }
    out.put((byte) 0).putShort((short) TYPE_SRV).putShort((short) CLASS_IN);
    return out.array();
  }

  /** Whether {@code message} is a response to the query with this id; anything else is someone else's packet. */
  static boolean isResponseTo(byte[] message, int length, int id) {
    if (length < HEADER_LENGTH) {
      return false;
    }
    ByteBuffer in = ByteBuffer.wrap(message, 0, length);
    return (in.getShort(0) & 0xFFFF) == id && (in.getShort(2) & FLAG_RESPONSE) != 0;
  }

  /** Whether the server cut the answer short to fit a UDP datagram (then TCP gets all of it). */
  static boolean isTruncated(byte[] message) {
    return (ByteBuffer.wrap(message).getShort(2) & FLAG_TRUNCATED) != 0;
  }

  /** The SRV records in the response to the query for {@code name}, or why there are none. */
  static SrvAnswer readSrv(byte[] message, String name, boolean overTcp) {
    try {
      ByteBuffer in = ByteBuffer.wrap(message);
      int rcode = in.getShort(2) & 0x000F;
      switch (rcode) {
        case 0 -> { }
        case RCODE_NXDOMAIN -> { return new SrvAnswer.NoRecords("no such name (NXDOMAIN)"); }
        case RCODE_SERVFAIL -> { return new SrvAnswer.Failure("the server failed to answer (SERVFAIL)"); }
        default -> {
          return new SrvAnswer.Failure("the server refused or could not parse the query (RCODE " + rcode + ")");
        }
      }
      int questions = in.getShort(4) & 0xFFFF;
      int answers = in.getShort(6) & 0xFFFF;
      in.position(HEADER_LENGTH);
      if (questions != 1 || !readName(in).equalsIgnoreCase(name + ".")) {
        return new SrvAnswer.Failure("the server answered another question");
      }
      in.position(in.position() + 4);
      List<SrvRecord> records = new ArrayList<>();
      for (int i = 0; i < answers; i++) {
        readAnswer(in).ifPresent(records::add);
      }
      return records.isEmpty() ? new SrvAnswer.NoRecords("the name has no SRV records")
          : new SrvAnswer.Records(records, overTcp);
    } catch (BufferUnderflowException | IndexOutOfBoundsException | IllegalArgumentException e) {
      return new SrvAnswer.Failure("the answer was malformed");
    }
  }

  // Every SRV record of the answer section counts, whatever its owner: a recursive server that followed a
  // CNAME puts the alias's records there, and the question was checked above.
  private static Optional<SrvRecord> readAnswer(ByteBuffer in) {
    readName(in);
    int type = in.getShort() & 0xFFFF;
    int klass = in.getShort() & 0xFFFF;
    long ttl = in.getInt() & 0xFFFF_FFFFL;
    int length = in.getShort() & 0xFFFF;
    int end = in.position() + length;
    Optional<SrvRecord> record = Optional.empty();
    if (type == TYPE_SRV && klass == CLASS_IN) {
      int priority = in.getShort() & 0xFFFF;
      int weight = in.getShort() & 0xFFFF;
      int port = in.getShort() & 0xFFFF;
      // RFC 2181 8: a TTL with the top bit set is read as zero.
      record = Optional.of(new SrvRecord(priority, weight, port, readName(in), ttl > Integer.MAX_VALUE ? 0 : ttl));
    }
    in.position(end);
    return record;
  }

  /** Reads a possibly compressed name at the buffer's position, leaving it just past the name; "." for the root. */
  static String readName(ByteBuffer in) {
    StringBuilder name = new StringBuilder();
    int at = in.position();
    int end = -1;
    int jumps = 0;
    while (true) {
      int length = in.get(at) & 0xFF;
      if ((length & 0xC0) == 0xC0) {
        if (++jumps > MAX_POINTER_JUMPS) {
          throw new IllegalArgumentException("a loop of name pointers");
        }
        end = end < 0 ? at + 2 : end;
        at = ((length & 0x3F) << 8) | (in.get(at + 1) & 0xFF);
      } else if (length == 0) {
        end = end < 0 ? at + 1 : end;
        break;
      } else if ((length & 0xC0) != 0) {
        throw new IllegalArgumentException("an unknown label type");
      } else {
        byte[] label = new byte[length];
        in.get(at + 1, label);
        name.append(new String(label, StandardCharsets.US_ASCII)).append('.');
        at += 1 + length;
        if (name.length() > MAX_NAME_LENGTH) {
          throw new IllegalArgumentException("a name longer than 255 octets");
        }
      }
    }
    in.position(end);
    return name.isEmpty() ? "." : name.toString();
  }
}
