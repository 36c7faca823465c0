package org.homeserver.mls.crypto;

import java.util.Arrays;

/** Byte-array edits the crypto tests use to damage keys, signatures and content. */
public final class TestBytes {
  private TestBytes() {}

  /** A copy of {@code bytes} with bit {@code bit} (counted from the first byte's low bit) inverted. */
  public static byte[] flipBit(byte[] bytes, int bit) {
    byte[] copy = bytes.clone();
    copy[bit / 8] ^= (byte) (1 << (bit % 8));
    return copy;
  }

  static byte[] concat(byte[]... parts) {
    byte[] out = new byte[Arrays.stream(parts).mapToInt(p -> p.length).sum()];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, out, at, part.length);
      at += part.length;
    }
    return out;
  }

  /** Whether {@code needle} occurs anywhere in {@code haystack}. */
  static boolean contains(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return true;
      }
    }
    return false;
  }
}
