package org.homeserver.mls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
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
      return (List<Map<String, Object>>) Json.parse(Files.readString(path));
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

  /**
   * Recursive-descent JSON (RFC 8259): objects become ordered maps, arrays lists, integers Long,
   * other numbers BigDecimal. Malformed input fails with the offset.
   */
  private static final class Json {
    private final String text;
    private int at;

    private Json(String text) {
      this.text = text;
    }

    static Object parse(String text) {
      Json json = new Json(text);
      Object value = json.value();
      json.skipWhitespace();
      if (json.at != text.length()) {
        throw json.error("trailing characters");
      }
      return value;
    }

    private Object value() {
      return switch (peekPastWhitespace()) {
        case '{' -> object();
        case '[' -> array();
        case '"' -> string();
        case 't' -> literal("true", Boolean.TRUE);
        case 'f' -> literal("false", Boolean.FALSE);
        case 'n' -> literal("null", null);
        default -> number();
      };
    }

    private Map<String, Object> object() {
      Map<String, Object> map = new LinkedHashMap<>();
      expect('{');
      if (peekPastWhitespace() == '}') {
        at++;
        return map;
      }
      do {
        skipWhitespace();
        String key = string();
        skipWhitespace();
        expect(':');
        map.put(key, value());
      } while (separator('}'));
      return map;
    }

    private List<Object> array() {
      List<Object> list = new ArrayList<>();
      expect('[');
      if (peekPastWhitespace() == ']') {
        at++;
        return list;
      }
      do {
        list.add(value());
      } while (separator(']'));
      return list;
    }

    // After an element: true at a comma, false at the closing character; anything else is an error.
    private boolean separator(char close) {
      char c = peekPastWhitespace();
      at++;
      if (c == ',') {
        return true;
      }
      if (c == close) {
        return false;
      }
      at--;
      throw error("expected ',' or '" + close + "'");
    }

    private String string() {
      expect('"');
      StringBuilder out = new StringBuilder();
      while (true) {
        char c = next();
        if (c == '"') {
          return out.toString();
        }
        if (c < 0x20) {
          throw error("control character in a string");
        }
        out.append(c == '\\' ? escaped() : c);
      }
    }

    private char escaped() {
      char c = next();
      return switch (c) {
        case '"', '\\', '/' -> c;
        case 'b' -> '\b';
        case 'f' -> '\f';
        case 'n' -> '\n';
        case 'r' -> '\r';
        case 't' -> '\t';
        case 'u' -> {
          if (at + 4 > text.length()) {
            throw error("truncated \\u escape");
          }
          try {
            char unit = (char) Integer.parseInt(text, at, at + 4, 16);
            at += 4;
            yield unit;
          } catch (NumberFormatException e) {
            throw error("bad \\u escape");
          }
        }
        default -> throw error("unknown escape \\" + c);
      };
    }

    private Number number() {
      int start = at;
      while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
        at++;
      }
      String digits = text.substring(start, at);
      try {
        BigDecimal value = new BigDecimal(digits);
        boolean integral = digits.chars().noneMatch(c -> c == '.' || c == 'e' || c == 'E');
        return integral ? (Number) value.longValueExact() : value;
      } catch (NumberFormatException | ArithmeticException e) {
        at = start;
        throw error("not a value");
      }
    }

    private Object literal(String word, Object value) {
      if (!text.startsWith(word, at)) {
        throw error("expected " + word);
      }
      at += word.length();
      return value;
    }

    private void skipWhitespace() {
      while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
        at++;
      }
    }

    // The next character after any whitespace, not consumed.
    private char peekPastWhitespace() {
      skipWhitespace();
      return peek();
    }

    private void expect(char c) {
      if (peek() != c) {
        throw error("expected '" + c + "'");
      }
      at++;
    }

    private char peek() {
      if (at >= text.length()) {
        throw error("unexpected end of input");
      }
      return text.charAt(at);
    }

    private char next() {
      char c = peek();
      at++;
      return c;
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException("JSON: " + what + " at offset " + at);
    }
  }
}
