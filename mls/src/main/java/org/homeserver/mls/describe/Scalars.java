package org.homeserver.mls.describe;

import java.math.BigInteger;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/** How MLS scalars appear in a description: bytes as lowercase hex, uint64 as unsigned numbers, times in ISO-8601. */
final class Scalars {
  private static final HexFormat HEX = HexFormat.of();

  private Scalars() {}

  static String hex(byte[] bytes) {
    return HEX.formatHex(bytes);
  }

  static List<String> hex(List<byte[]> values) {
    return values.stream().map(Scalars::hex).toList();
  }

  /** A uint64 held in a long's bits, as the unsigned number it is. */
  static Number unsigned(long value) {
    return value >= 0 ? (Number) value : new BigInteger(Long.toUnsignedString(value));
  }

  /** Unsigned seconds since 1970 as an ISO-8601 instant, when {@link Instant} can hold them. */
  static Optional<String> isoTime(long unsignedSeconds) {
    if (unsignedSeconds < 0 || unsignedSeconds > Instant.MAX.getEpochSecond()) {
      return Optional.empty();
    }
    return Optional.of(Instant.ofEpochSecond(unsignedSeconds).toString());
  }
}
