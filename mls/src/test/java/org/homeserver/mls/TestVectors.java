package org.homeserver.mls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The MLS working group's interop test vectors in {@code shared/mls-test-vectors}, read with a small
 * JSON parser so the library keeps no JSON dependency, not even for tests.
 */
public final class TestVectors {
  private static final Path FOLDER = Path.of("shared", "mls-test-vectors");

  private TestVectors() {}

  /** The cases of one vector file (a JSON array of objects). */
  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> load(String file) {
    Path path = folder().resolve(file);
    try {
      return (List<Map<String, Object>>) TestJson.parse(Files.readString(path));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }

  /** Lowercase or uppercase hex, as bytes. */
  public static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex);
  }

  // Maven runs tests in the module directory, IDEs often in the project root: walk up to the folder.
  private static Path folder() {
    Path start = Path.of("").toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve(FOLDER))) {
        return dir.resolve(FOLDER);
      }
    }
    throw new IllegalStateException("no " + FOLDER + " in " + start + " or any directory above it");
  }
}
