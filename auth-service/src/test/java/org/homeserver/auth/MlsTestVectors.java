package org.homeserver.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** The MLS working group's test vectors, kept in {@code shared/mls-test-vectors} beside the project. */
final class MlsTestVectors {
  private static final Path FOLDER = Path.of("shared", "mls-test-vectors");

  private MlsTestVectors() {}

  /** The cases of one vector file, each a JSON object. */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> cases(String file) {
    try {
      return (List<Map<String, Object>>) TestJson.parse(Files.readString(folder().resolve(file)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A hex field of a JSON object, as bytes. */
  static byte[] hex(Map<String, Object> object, String field) {
    return HexFormat.of().parseHex((String) object.get(field));
  }

  /** A nested JSON object. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> object(Map<String, Object> object, String field) {
    return (Map<String, Object>) object.get(field);
  }

  // Tests run in the module directory (Maven) or the project root (IDEs); walk up to wherever the folder is.
  private static Path folder() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve(FOLDER))) {
        return dir.resolve(FOLDER);
      }
    }
    throw new IllegalStateException("no " + FOLDER + " in " + Path.of("").toAbsolutePath() + " or above");
  }
}
