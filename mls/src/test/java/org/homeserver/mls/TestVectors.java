package org.homeserver.mls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The MLS working group's interop test vectors, kept in this module's test resources
 * ({@code mls-test-vectors/}, whose SOURCE.md names their origin and commit), read with a small JSON
 * parser so the library keeps no JSON dependency, not even for tests.
 */
public final class TestVectors {
  private static final String FOLDER = "/mls-test-vectors/";

  private TestVectors() {}

  /** The cases of one vector file (a JSON array of objects). */
  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> load(String file) {
    try (InputStream in = TestVectors.class.getResourceAsStream(FOLDER + file)) {
      if (in == null) {
        throw new IllegalStateException("no test vector file " + FOLDER + file + " on the classpath");
      }
      return (List<Map<String, Object>>) TestJson.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + FOLDER + file, e);
    }
  }

  /** Lowercase or uppercase hex, as bytes. */
  public static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex);
  }
}
