package org.homeserver.mls.codec;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * Strict reading of the RFC 9420 presentation language (TLS style, with QUIC-style variable-length
 * vector headers): every length is checked against the bytes that are really there before anything
 * is allocated, variable-length integers must be minimal, nesting is bounded, and a structure read
 * as a whole must consume its input exactly. Errors name the field path and the offset.
 */
public final class MlsReader {
  /** The largest input the codec reads (a Welcome for a very large group fits). */
  public static final int MAX_INPUT_BYTES = 8 * 1024 * 1024;
  /** The deepest nesting of structures the codec follows. */
  public static final int MAX_DEPTH = 32;
  /** The largest vector length an MLS varint can express: 2^30 - 1. */
  static final int MAX_VECTOR_LENGTH = (1 << 30) - 1;

  private final byte[] data;
  /** Where {@code data} starts in the whole input, for error offsets of nested readers. */
  private final int base;
  private int position;
  private int limit;
  /** Field names (String) and vector positions ({@link Index}), rendered only when an error needs them. */
  private final Deque<Object> path;

  /** The position of the element being read in one vector; one per vector, not one per element. */
  private static final class Index {
    int value;
  }

  private MlsReader(byte[] data, int base, Deque<Object> path) {
    this.data = data;
    this.base = base;
    this.limit = data.length;
    this.path = path;
  }

  /** A reader over all of {@code input}; refuses input beyond {@link #MAX_INPUT_BYTES}. */
  public static MlsReader of(byte[] input) throws MlsDecodeException {
    if (input.length > MAX_INPUT_BYTES) {
      throw new MlsDecodeException("input", 0, "is " + input.length + " bytes; at most " + MAX_INPUT_BYTES + " are read");
    }
    return new MlsReader(input, 0, new ArrayDeque<>());
  }

  /** Decodes all of {@code input} with {@code decoder}; trailing bytes are an error. */
  public static <T> T decodeAll(byte[] input, String name, Decoder<T> decoder) throws MlsDecodeException {
    MlsReader reader = of(input);
    T value = reader.struct(name, decoder);
    reader.requireEnd(name);
    return value;
  }

  /** Reads one value of type T. */
  @FunctionalInterface
  public interface Decoder<T> {
    T decode(MlsReader reader) throws MlsDecodeException;
  }

  public int position() {
    return position;
  }

  public int remaining() {
    return limit - position;
  }

  /** The bytes from {@code start} to the current position (for hashing a structure as received). */
  public byte[] bytesSince(int start) {
    return Arrays.copyOfRange(data, start, position);
  }

  /** Reads a nested structure under {@code name}, for error paths and the depth bound. */
  public <T> T struct(String name, Decoder<T> decoder) throws MlsDecodeException {
    if (path.size() >= MAX_DEPTH) {
      throw error(name, "nesting deeper than " + MAX_DEPTH);
    }
    path.addLast(name);
    try {
      return decoder.decode(this);
    } finally {
      path.removeLast();
    }
  }

  public int u8(String field) throws MlsDecodeException {
    need(field, 1);
    return data[position++] & 0xff;
  }

  public int u16(String field) throws MlsDecodeException {
    return (int) bigEndian(field, 2);
  }

  /** An unsigned 32-bit value, as a long. */
  public long u32(String field) throws MlsDecodeException {
    return bigEndian(field, 4);
  }

  /** An unsigned 64-bit value, in a long's bits (compare with Long.compareUnsigned). */
  public long u64(String field) throws MlsDecodeException {
    return bigEndian(field, 8);
  }

  private long bigEndian(String field, int bytes) throws MlsDecodeException {
    need(field, bytes);
    long v = 0;
    for (int i = 0; i < bytes; i++) {
      v = v << 8 | data[position++] & 0xff;
    }
    return v;
  }

  /** A variable-length integer (RFC 9420 section 2.1.2): 1, 2 or 4 bytes, minimal. */
  public int varint(String field) throws MlsDecodeException {
    int start = position;
    int first = u8(field);
    int prefix = first >>> 6;
    int value;
    switch (prefix) {
      case 0 -> value = first;
      case 1 -> {
        value = (first & 0x3f) << 8 | u8(field);
        if (value < 1 << 6) {
          throw errorAt(field, start, "length " + value + " is not minimally encoded (2 bytes for a value below 64)");
        }
      }
      case 2 -> {
        value = (first & 0x3f) << 24 | u8(field) << 16 | u8(field) << 8 | u8(field);
        if (value < 1 << 14) {
          throw errorAt(field, start, "length " + value + " is not minimally encoded (4 bytes for a value below 16384)");
        }
      }
      default -> throw errorAt(field, start, "length prefix 0b11 (8 bytes) is not allowed in MLS");
    }
    return value;
  }

  /**
   * A structure behind a varint length (an extension's data, say), which it must fill exactly; the
   * structure is read in place, with the rest of the input, so errors and the depth bound count
   * from the whole message.
   */
  public <T> T lengthPrefixed(String field, Decoder<T> decoder) throws MlsDecodeException {
    int length = vectorLength(field);
    int end = position + length;
    int outerLimit = limit;
    limit = end;
    try {
      T value = struct(field, decoder);
      path.addLast(field);
      try {
        requireEnd("");
      } finally {
        path.removeLast();
      }
      return value;
    } finally {
      limit = outerLimit;
    }
  }

  /** An {@code opaque field<V>}: a varint length and that many bytes. */
  public byte[] opaque(String field) throws MlsDecodeException {
    int length = vectorLength(field);
    byte[] value = Arrays.copyOfRange(data, position, position + length);
    position += length;
    return value;
  }

  /** A vector {@code T field<V>}: the elements must fill its byte length exactly. */
  public <T> List<T> vector(String field, Decoder<T> element) throws MlsDecodeException {
    int length = vectorLength(field);
    int end = position + length;
    int outerLimit = limit;
    limit = end;
    List<T> values = new ArrayList<>();
    Index index = new Index();
    path.addLast(field);
    path.addLast(index);
    try {
      if (path.size() > MAX_DEPTH) {
        throw error("", "nesting deeper than " + MAX_DEPTH);
      }
      while (position < end) {
        index.value = values.size();
        values.add(element.decode(this));
      }
    } finally {
      path.removeLast();
      path.removeLast();
      limit = outerLimit;
    }
    return values;
  }

  /** An {@code optional<T>}: a presence byte, 0 or 1, then T if present. */
  public <T> java.util.Optional<T> optional(String field, Decoder<T> decoder) throws MlsDecodeException {
    int start = position;
    int present = u8(field);
    return switch (present) {
      case 0 -> java.util.Optional.empty();
      case 1 -> java.util.Optional.of(struct(field, decoder));
      default -> throw errorAt(field, start, "optional presence byte is " + present + ", not 0 or 1");
    };
  }

  /** Passes over what is left of the current structure (an unknown extension's data, say). */
  public void skipRest() {
    position = limit;
  }

  /** Fails unless every byte was read. */
  public void requireEnd(String field) throws MlsDecodeException {
    if (position != limit) {
      throw error(field, (limit - position) + " trailing byte(s)");
    }
  }

  /** An error about {@code field} at the current position. */
  public MlsDecodeException error(String field, String reason) {
    return errorAt(field, position, reason);
  }

  /** An error about {@code field} at {@code offset}. */
  public MlsDecodeException errorAt(String field, int offset, String reason) {
    return new MlsDecodeException(pathTo(field), base + offset, reason);
  }

  private int vectorLength(String field) throws MlsDecodeException {
    int start = position;
    int length = varint(field);
    if (length > remaining()) {
      throw errorAt(field, start, "length " + length + " exceeds the " + remaining() + " byte(s) left");
    }
    return length;
  }

  private void need(String field, int bytes) throws MlsDecodeException {
    if (remaining() < bytes) {
      throw error(field, "needs " + bytes + " byte(s), " + remaining() + " left");
    }
  }

  private String pathTo(String field) {
    StringBuilder s = new StringBuilder();
    for (Object part : path) {
      append(s, part instanceof Index i ? "[" + i.value + "]" : (String) part);
    }
    append(s, field);
    return s.toString();
  }

  private static void append(StringBuilder s, String part) {
    if (part.isEmpty()) {
      return;
    }
    if (!s.isEmpty() && !part.startsWith("[")) {
      s.append('.');
    }
    s.append(part);
  }
}
