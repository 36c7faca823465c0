package org.homeserver.notifier.jose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void objectsArraysAndScalarsAreRead() {
    Object value = Json.parse(" {\"a\": [1, -2.5e3, true, false, null], \"b\": {\"c\": \"d\"}} ");

    assertEquals(Map.of(
        "a", Arrays.asList(new BigDecimal("1"), new BigDecimal("-2.5e3"), true, false, null),
        "b", Map.of("c", "d")), value);
  }

  @Test
  void escapesAreDecoded() {
    assertEquals("a\"b\\c/d\n\t\u00e9\ud83d\ude00", Json.parse("\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00\""));
  }

  @Test
  void writtenTextReadsBackTheSame() {
    Map<String, Object> tree = Json.members(
        "text", "quote \" backslash \\ newline \n bell \u0007 key \u00e9",
        "list", List.of(1, 2L, "x"),
        "nested", Json.members("yes", true, "none", Json.members()));

    String written = Json.write(tree);

    assertEquals(Json.parse(written).toString(), Json.parse(Json.write(Json.parse(written))).toString());
    assertEquals("quote \" backslash \\ newline \n bell \u0007 key \u00e9", Json.parseObject(written).orElseThrow().get("text"));
    assertTrue(written.contains("\\u0007"), written);
  }

  @Test
  void membersKeepTheirOrderWhenWritten() {
    assertEquals("{\"z\":1,\"a\":\"b\"}", Json.write(Json.members("z", 1, "a", "b")));
  }

  @Test
  void malformedTextIsRefused() {
    for (String bad : List.of("", "{", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "01", "1.", "tru", "\"open",
        "\"bad \\x escape\"", "\"raw \n newline\"", "{} trailing", "{\"a\":1,\"a\":2}", "1e99999999999")) {
      assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
    }
  }

  @Test
  void deepNestingIsRefusedInsteadOfOverflowingTheStack() {
    String deep = "[".repeat(100_000) + "]".repeat(100_000);

    assertThrows(IllegalArgumentException.class, () -> Json.parse(deep));
  }

  @Test
  void integerIsReadOnlyWhenWholeAndWithinALong() {
    Map<String, Object> object = Json.parseObject(
        "{\"a\":1700000000,\"b\":2e3,\"c\":1.5,\"d\":\"7\",\"e\":9223372036854775808,\"f\":1e999999999}").orElseThrow();

    assertEquals(Optional.of(1_700_000_000L), Json.integer(object, "a"));
    assertEquals(Optional.of(2000L), Json.integer(object, "b"));
    for (String notAnInteger : List.of("c", "d", "e", "f", "absent")) {
      assertEquals(Optional.empty(), Json.integer(object, notAnInteger), notAnInteger);
    }
  }

  @Test
  void parseObjectIsEmptyForAnythingButAnObject() {
    assertEquals(Optional.empty(), Json.parseObject("[1]"));
    assertEquals(Optional.empty(), Json.parseObject("not json"));
    assertEquals(Optional.of(Map.of("a", "b")), Json.parseObject("{\"a\":\"b\"}"));
  }
}
