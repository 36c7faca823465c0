package org.homeserver.platform.testing;

/**
 * The size of a test that also runs soak-sized: the suite runs the small size; {@code bench/soak}
 * runs the same test with {@code -Dhomeserver.soak=true} and gets the large one. The checks are the
 * same at either size.
 */
public final class Soak {
  private static final boolean ON = Boolean.getBoolean("homeserver.soak");

  private Soak() {}

  /** {@code suite} in the test suite, {@code soak} when run by bench/soak. */
  public static int size(int suite, int soak) {
    return ON ? soak : suite;
  }
}
