package org.homeserver.notifier.jose;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The little JSON the push services speak (RFC 8259): reads text into maps, lists, strings,
 * {@link BigDecimal}s, booleans and nulls, and writes such trees back compactly.
 */
public final class Json {
  // Deep enough for any answer APNs, FCM or Google's token endpoint gives; bounds the recursion.
  private static final int MAX_DEPTH = 32;

  private final String text;
  private int at;

  private Json(String text) {
    this.text = text;
  }

  /**
   * The value {@code text} holds.
   *
   * @throws IllegalArgumentException if it is not one JSON value
   */
  public static Object parse(String text) {
    Json json = new Json(text);
    Object value = json.value(0);
    json.skipSpace();
    if (json.at != text.length()) {
      throw json.error("text after the value");
    }
    return value;
  }

  /** The object {@code text} holds; empty if it is not JSON or not an object. */
  public static Optional<Map<String, Object>> parseObject(String text) {
    try {
      return parse(text) instanceof Map<?, ?> map ? Optional.of(stringKeyed(map)) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The string member {@code name} of {@code object}; empty if absent or of another type. */
  public static Optional<String> string(Map<String, ?> object, String name) {
    return object.get(name) instanceof String s ? Optional.of(s) : Optional.empty();
  }

  /** The integer member {@code name} of {@code object}; empty if absent, of another type, fractional or beyond a long. */
  public static Optional<Long> integer(Map<String, ?> object, String name) {
    if (!(object.get(name) instanceof BigDecimal number)) {
      return Optional.empty();
    }
    try {
      return Optional.of(number.longValueExact());
    } catch (ArithmeticException notALong) {
      return Optional.empty();
    }
  }

  /** The object member {@code name} of {@code object}; empty if absent or of another type. */
  public static Optional<Map<String, Object>> object(Map<String, ?> object, String name) {
    return object.get(name) instanceof Map<?, ?> map ? Optional.of(stringKeyed(map)) : Optional.empty();
  }

  /** A JSON object with the given members in this order: name, value, name, value, ... */
  public static Map<String, Object> members(Object... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("a name without a value");
    }
    Map<String, Object> members = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      members.put((String) namesAndValues[i], namesAndValues[i + 1]);
    }
    return members;
  }

  /** {@code value} (maps with string keys, lists, strings, numbers, booleans, null) as compact JSON. */
  public static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out);
    return out.toString();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> stringKeyed(Map<?, ?> map) {
    // parse() only ever makes maps with string keys.
    return (Map<String, Object>) map;
  }

  private static void write(Object value, StringBuilder out) {
    switch (value) {
      case null -> out.append("null");
      case String s -> quote(s, out);
      case Boolean b -> out.append(b);
      case Integer i -> out.append(i);
      case Long l -> out.append(l);
      case BigDecimal d -> out.append(d.toString());
      case Map<?, ?> map -> {
        out.append('{');
        Iterator<? extends Map.Entry<?, ?>> entries = map.entrySet().iterator();
        while (entries.hasNext()) {
          Map.Entry<?, ?> entry = entries.next();
          if (!(entry.getKey() instanceof String key)) {
            throw new IllegalArgumentException("a JSON object key must be a string, not " + entry.getKey());
          }
          quote(key, out);
          out.append(':');
          write(entry.getValue(), out);
          out.append(entries.hasNext() ? "," : "");
        }
        out.append('}');
      }
      case List<?> list -> {
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
          out.append(i > 0 ? "," : "");
          write(list.get(i), out);
        }
        out.append(']');
      }
      default -> throw new IllegalArgumentException("no JSON form for " + value.getClass().getName());
    }
  }

  private static void quote(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  private Object value(int depth) {
    if (depth > MAX_DEPTH) {
      throw error("nested deeper than " + MAX_DEPTH);
    }
    skipSpace();
    if (at >= text.length()) {
      throw error("a value expected");
    }
    return switch (text.charAt(at)) {
      case '{' -> object(depth);
      case '[' -> array(depth);
      case '"' -> string();
      case 't' -> literal("true", Boolean.TRUE);
      case 'f' -> literal("false", Boolean.FALSE);
      case 'n' -> literal("null", null);
      default -> number();
    };
  }

  private Map<String, Object> object(int depth) {
    Map<String, Object> members = new LinkedHashMap<>();
    at++;
    skipSpace();
    if (peek('}')) {
      at++;
      return members;
    }
    do {
      skipSpace();
      if (!peek('"')) {
        throw error("a member name expected");
      }
      String name = string();
      skipSpace();
      expect(':');
      if (members.containsKey(name)) {
        // Two readers of a duplicated member may disagree on which counts; refuse it outright.
        throw error("member " + name + " repeated");
      }
      members.put(name, value(depth + 1));
      skipSpace();
    } while (consume(','));
    expect('}');
    return members;
  }

  private List<Object> array(int depth) {
    List<Object> items = new ArrayList<>();
    at++;
    skipSpace();
    if (peek(']')) {
      at++;
      return items;
    }
    do {
      items.add(value(depth + 1));
      skipSpace();
    } while (consume(','));
    expect(']');
    return items;
  }

  private String string() {
    at++;
    StringBuilder out = new StringBuilder();
    while (at < text.length()) {
      char c = text.charAt(at++);
      if (c == '"') {
        return out.toString();
      }
      if (c < 0x20) {
        throw error("a control character in a string");
      }
      out.append(c == '\\' ? escaped() : c);
    }
    throw error("an unterminated string");
  }

  private char escaped() {
    if (at >= text.length()) {
      throw error("an unterminated escape");
    }
    char c = text.charAt(at++);
    return switch (c) {
      case '"', '\\', '/' -> c;
      case 'b' -> '\b';
      case 'f' -> '\f';
      case 'n' -> '\n';
      case 'r' -> '\r';
      case 't' -> '\t';
      case 'u' -> {
        if (at + 4 > text.length()) {
          throw error("a short \\u escape");
        }
        try {
          char unit = (char) Integer.parseInt(text.substring(at, at + 4), 16);
          at += 4;
          yield unit;
        } catch (NumberFormatException e) {
          throw error("a bad \\u escape");
        }
      }
      default -> throw error("an unknown escape \\" + c);
    };
  }

  private BigDecimal number() {
    int start = at;
    while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
      at++;
    }
    String digits = text.substring(start, at);
    if (!digits.matches("-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?")) {
      throw error("a value expected");
    }
    try {
      return new BigDecimal(digits);
    } catch (NumberFormatException e) {
      throw error("a number out of range");
    }
  }

  private Object literal(String word, Object value) {
    if (!text.startsWith(word, at)) {
      throw error(word + " expected");
    }
    at += word.length();
    return value;
  }

  private void skipSpace() {
    while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
      at++;
    }
  }

  private boolean peek(char c) {
    return at < text.length() && text.charAt(at) == c;
  }

  private boolean consume(char c) {
    if (peek(c)) {
      at++;
      return true;
    }
    return false;
  }

  private void expect(char c) {
    if (!consume(c)) {
      throw error("'" + c + "' expected");
    }
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("not JSON: " + what + " at offset " + at);
  }
}
