package org.homeserver.mls;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict RFC 8259 reader for tests: the working-group vectors, and what the description's JSON
 * writer produces (sharing no code with it). Objects are ordered maps, integers Long or, beyond a
 * long (uint64 lifetimes), BigInteger, other numbers BigDecimal.
 */
public final class TestJson {
  private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
  private static final Pattern WHITESPACE = Pattern.compile("[ \t\r\n]*");

  private final String text;
  private int at;

  private TestJson(String text) {
    this.text = text;
  }

  /** The JSON value {@code json}; anything malformed or left over is an IllegalArgumentException. */
  public static Object parse(String json) {
    TestJson parser = new TestJson(json);
    Object value = parser.value();
    parser.skipWhitespace();
    if (parser.at != json.length()) {
      throw parser.error("trailing text");
    }
    return value;
  }

  /** The JSON object {@code json}; anything else, malformed or left over is an IllegalArgumentException. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String json) {
    if (!(parse(json) instanceof Map<?, ?> object)) {
      throw new IllegalArgumentException("not an object");
    }
    return (Map<String, Object>) object;
  }

  private Object value() {
    skipWhitespace();
    Object value;
    if (take("{")) {
      Map<String, Object> object = new LinkedHashMap<>();
      elements('}', () -> {
        skipWhitespace();
        String key = string();
        skipWhitespace();
        expect(":");
        if (object.put(key, value()) != null) {
          throw error("duplicate key " + key);
        }
      });
      value = object;
    } else if (take("[")) {
      List<Object> array = new ArrayList<>();
      elements(']', () -> array.add(value()));
      value = array;
    } else if (text.startsWith("\"", at)) {
      value = string();
    } else if (take("true")) {
      value = true;
    } else if (take("false")) {
      value = false;
    } else if (take("null")) {
      value = null;
    } else {
      value = number();
    }
    skipWhitespace();
    return value;
  }

  /** Comma-separated elements up to {@code close}, none allowed after a trailing comma. */
  private void elements(char close, Runnable element) {
    skipWhitespace();
    if (take(String.valueOf(close))) {
      return;
    }
    do {
      element.run();
    } while (take(","));
    expect(String.valueOf(close));
  }

  private String string() {
    expect("\"");
    StringBuilder out = new StringBuilder();
    while (!take("\"")) {
      if (at >= text.length() || text.charAt(at) < 0x20) {
        throw error("unterminated string or raw control character");
      }
      char c = text.charAt(at++);
      if (c != '\\') {
        out.append(c);
        continue;
      }
      char escape = at < text.length() ? text.charAt(at++) : '?';
      switch (escape) {
        case '"', '\\', '/' -> out.append(escape);
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'u' -> {
          if (at + 4 > text.length() || !text.substring(at, at + 4).matches("[0-9a-fA-F]{4}")) {
            throw error("bad \\u escape");
          }
          out.append((char) Integer.parseInt(text, at, at + 4, 16));
          at += 4;
        }
        default -> throw error("unknown escape");
      }
    }
    return out.toString();
  }

  private Number number() {
    Matcher m = NUMBER.matcher(text).region(at, text.length());
    if (!m.lookingAt()) {
      throw error("not a value");
    }
    at = m.end();
    if (m.group(2) != null || m.group(3) != null) {
      return new BigDecimal(m.group());
    }
    BigInteger integer = new BigInteger(m.group());
    return integer.bitLength() < 64 ? (Number) integer.longValue() : integer;
  }

  private void skipWhitespace() {
    Matcher m = WHITESPACE.matcher(text).region(at, text.length());
    if (m.lookingAt()) {
      at = m.end();
    }
  }

  private boolean take(String token) {
    if (text.startsWith(token, at)) {
      at += token.length();
      return true;
    }
    return false;
  }

  private void expect(String token) {
    if (!take(token)) {
      throw error("expected " + token);
    }
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("JSON: " + what + " at offset " + at);
  }
}
