package org.homeserver.mls.codec;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Writes the RFC 9420 presentation language: the exact inverse of {@link MlsReader}. */
public final class MlsWriter {
  private byte[] buffer = new byte[256];
  private int size;

  /** Writes one value of type T. */
  @FunctionalInterface
  public interface Encoder<T> {
    void encode(T value, MlsWriter writer);
  }

  /** The encoding of {@code value}. */
  public static <T> byte[] encode(T value, Encoder<T> encoder) {
    MlsWriter w = new MlsWriter();
    encoder.encode(value, w);
    return w.toByteArray();
  }

  public MlsWriter u8(int v) {
    ensure(1);
    buffer[size++] = (byte) v;
    return this;
  }

  public MlsWriter u16(int v) {
    ensure(2);
    buffer[size++] = (byte) (v >>> 8);
    buffer[size++] = (byte) v;
    return this;
  }

  public MlsWriter u32(long v) {
    ensure(4);
    for (int shift = 24; shift >= 0; shift -= 8) {
      buffer[size++] = (byte) (v >>> shift);
    }
    return this;
  }

  public MlsWriter u64(long v) {
    ensure(8);
    for (int shift = 56; shift >= 0; shift -= 8) {
      buffer[size++] = (byte) (v >>> shift);
    }
    return this;
  }

  /** The minimal variable-length integer for {@code v} (0 to 2^30 - 1). */
  public MlsWriter varint(int v) {
    if (v < 0 || v > MlsReader.MAX_VECTOR_LENGTH) {
      throw new IllegalArgumentException("an MLS vector holds 0 to 2^30 - 1 bytes, not " + v);
    }
    if (v < 1 << 6) {
      return u8(v);
    }
    if (v < 1 << 14) {
      return u16(0x4000 | v);
    }
    return u32(0x80000000L | v);
  }

  public MlsWriter raw(byte[] bytes) {
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buffer, size, bytes.length);
    size += bytes.length;
    return this;
  }

  /** {@code opaque<V>}: length, then the bytes. */
  public MlsWriter opaque(byte[] bytes) {
    return varint(bytes.length).raw(bytes);
  }

  /** {@code T<V>}: the elements' total length, then the elements. */
  public <T> MlsWriter vector(List<T> values, Encoder<T> element) {
    MlsWriter inner = new MlsWriter();
    values.forEach(v -> element.encode(v, inner));
    return opaque(inner.toByteArray());
  }

  /** {@code optional<T>}: a presence byte, then the value if present. */
  public <T> MlsWriter optional(Optional<T> value, Encoder<T> encoder) {
    u8(value.isPresent() ? 1 : 0);
    value.ifPresent(v -> encoder.encode(v, this));
    return this;
  }

  public byte[] toByteArray() {
    return Arrays.copyOf(buffer, size);
  }

  private void ensure(int more) {
    if (size + more > buffer.length) {
      buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + more));
    }
  }
}
