package org.homeserver.notifier.testing;

import java.util.LinkedHashMap;
import java.util.Map;

/** Reads the flat JSON objects of a VAPID JWT (string and integer members), refusing anything richer. */
final class FlatJson {
  private final String text;
  private int at;

  private FlatJson(String text) {
    this.text = text;
  }

  /** Member names to String or Long values. @throws IllegalArgumentException if it is not such an object */
  static Map<String, Object> parse(String text) {
    FlatJson json = new FlatJson(text);
    Map<String, Object> members = json.object();
    json.skipSpace();
    if (json.at != text.length()) {
      throw new IllegalArgumentException("trailing text after the object");
    }
    return members;
  }

  private Map<String, Object> object() {
    Map<String, Object> members = new LinkedHashMap<>();
    expect('{');
    skipSpace();
    if (peek() == '}') {
      at++;
      return members;
    }
    do {
      skipSpace();
      String name = string();
      skipSpace();
      expect(':');
      skipSpace();
      Object value = peek() == '"' ? string() : integer();
      if (members.put(name, value) != null) {
        throw new IllegalArgumentException("duplicate member " + name);
      }
      skipSpace();
    } while (take() == ',');
    if (text.charAt(at - 1) != '}') {
      throw new IllegalArgumentException("expected , or } at " + (at - 1));
    }
    return members;
  }

  private String string() {
    expect('"');
    StringBuilder value = new StringBuilder();
    for (char c = take(); c != '"'; c = take()) {
      if (c != '\\') {
        value.append(c);
        continue;
      }
      char escaped = take();
      switch (escaped) {
        case '"', '\\', '/' -> value.append(escaped);
        case 'n' -> value.append('\n');
        case 't' -> value.append('\t');
        case 'r' -> value.append('\r');
        case 'b' -> value.append('\b');
        case 'f' -> value.append('\f');
        case 'u' -> value.append(unicodeEscape());
        default -> throw new IllegalArgumentException("bad escape \\" + escaped);
      }
    }
    return value.toString();
  }

  private char unicodeEscape() {
    if (at + 4 > text.length()) {
      throw new IllegalArgumentException("unexpected end");
    }
    return (char) Integer.parseInt(text.substring(at, at += 4), 16);
  }

  private Long integer() {
    int start = at;
    if (peek() == '-') {
      at++;
    }
    while (at < text.length() && Character.isDigit(text.charAt(at))) {
      at++;
    }
    try {
      return Long.parseLong(text.substring(start, at));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected a string or an integer at " + start);
    }
  }

  private void expect(char c) {
    if (take() != c) {
      throw new IllegalArgumentException("expected " + c + " at " + (at - 1));
    }
  }

  private char peek() {
    if (at >= text.length()) {
      throw new IllegalArgumentException("unexpected end");
    }
    return text.charAt(at);
  }

  private char take() {
    char c = peek();
    at++;
    return c;
  }

  private void skipSpace() {
    while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
      at++;
    }
  }
}
