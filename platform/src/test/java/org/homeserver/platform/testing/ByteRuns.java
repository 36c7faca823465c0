package org.homeserver.platform.testing;

import java.util.Arrays;

/** Looks for a key's bytes inside a stored value, for tests showing that a value leaks none of them. */
public final class ByteRuns {
  /** Long enough that no run shows up by chance, short enough to catch a key stored in pieces. */
  private static final int RUN = 8;

  private ByteRuns() {}

  /** Whether any 8 consecutive bytes of {@code key} appear in {@code value}. */
  public static boolean holdsPartOf(byte[] value, byte[] key) {
    for (int k = 0; k + RUN <= key.length; k++) {
      for (int v = 0; v + RUN <= value.length; v++) {
        if (Arrays.equals(value, v, v + RUN, key, k, k + RUN)) {
          return true;
        }
      }
    }
    return false;
  }
}
