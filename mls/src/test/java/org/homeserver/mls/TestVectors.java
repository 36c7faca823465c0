package org.homeserver.mls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.homeserver.mls.crypto.CipherSuite;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The MLS working group's interop test vectors, kept in this module's test resources
 * ({@code mls-test-vectors/}, whose SOURCE.md names their origin and commit). Objects are read as
 * ordered maps, integers as Integer, Long or, beyond a long (uint64 lifetimes), BigInteger.
 */
public final class TestVectors {
  private static final String FOLDER = "/mls-test-vectors/";
  private static final TypeReference<List<Map<String, Object>>> CASES = new TypeReference<>() {};

  private TestVectors() {}

  /** The cases of one vector file (a JSON array of objects). */
  public static List<Map<String, Object>> load(String file) {
    try (InputStream in = TestVectors.class.getResourceAsStream(FOLDER + file)) {
      if (in == null) {
        throw new IllegalStateException("no test vector file " + FOLDER + file + " on the classpath");
      }
      return JsonMapper.shared().readValue(in, CASES);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + FOLDER + file, e);
    }
  }

  /** Lowercase or uppercase hex, as bytes. */
  public static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex);
  }

  /** The case's {@code cipher_suite}. */
  /** Asserts that {@code cases} hold one case for each of the seven cipher suites. */
  public static void assertOneCasePerSuite(List<Map<String, Object>> cases) {
    assertEquals(EnumSet.allOf(CipherSuite.class), cases.stream().map(TestVectors::suite).collect(Collectors.toSet()));
    assertEquals(CipherSuite.values().length, cases.size());
  }

  public static CipherSuite suite(Map<String, Object> c) {
    int code = ((Number) c.get("cipher_suite")).intValue();
    return CipherSuite.fromCode(code).orElseThrow(() -> new AssertionError("unknown suite " + code));
  }

  /** The case's hex field {@code name}, as bytes. */
  public static byte[] hexField(Map<String, Object> c, String name) {
    return hex((String) c.get(name));
  }

  /** The case's object field {@code name}. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> object(Map<String, Object> c, String name) {
    return (Map<String, Object>) c.get(name);
  }
}
