package org.homeserver.mls.describe;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes a tree of maps, lists, strings, numbers, booleans and nulls as pretty-printed JSON (RFC 8259,
 * two-space indent). The output is pure ASCII: every control and non-ASCII character is a
 * {@code \}{@code uXXXX} escape, so it reads the same in any terminal encoding.
 */
public final class Json {
  private static final String INDENT = "  ";

  private final StringBuilder out = new StringBuilder();

  private Json() {}

  /** {@code value} as JSON; map keys are written in the map's iteration order. */
  public static String pretty(Object value) {
    Json json = new Json();
    json.value(value, 0);
    return json.out.toString();
  }

  private void value(Object value, int depth) {
    switch (value) {
      case null -> out.append("null");
      case String s -> string(s);
      case Boolean b -> out.append(b);
      case Integer i -> out.append(i);
      case Long l -> out.append(l);
      case BigInteger b -> out.append(b);
      case BigDecimal d -> out.append(d.toString());
      case Map<?, ?> map -> object(map, depth);
      case List<?> list -> array(list, depth);
      default -> throw new IllegalArgumentException("no JSON form for " + value.getClass().getName());
    }
  }

  private void object(Map<?, ?> map, int depth) {
    if (map.isEmpty()) {
      out.append("{}");
      return;
    }
    out.append('{');
    Iterator<? extends Map.Entry<?, ?>> entries = map.entrySet().iterator();
    while (entries.hasNext()) {
      Map.Entry<?, ?> entry = entries.next();
      if (!(entry.getKey() instanceof String key)) {
        throw new IllegalArgumentException("a JSON object key must be a string, not " + entry.getKey());
      }
      newline(depth + 1);
      string(key);
      out.append(": ");
      value(entry.getValue(), depth + 1);
      out.append(entries.hasNext() ? "," : "");
    }
    newline(depth);
    out.append('}');
  }

  private void array(List<?> list, int depth) {
    if (list.isEmpty()) {
      out.append("[]");
      return;
    }
    out.append('[');
    for (int i = 0; i < list.size(); i++) {
      newline(depth + 1);
      value(list.get(i), depth + 1);
      out.append(i + 1 < list.size() ? "," : "");
    }
    newline(depth);
    out.append(']');
  }

  private void newline(int depth) {
    out.append('\n').append(INDENT.repeat(depth));
  }

  private void string(String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c >= 0x7f) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
