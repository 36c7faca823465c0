package org.homeserver.mls.describe;

import org.homeserver.mls.TestJson;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void nestedObjectsAndArraysArePrettyPrintedWithTwoSpacesInInsertionOrder() {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("zeta", 1);
    tree.put("alpha", List.of(true, false));
    tree.put("inner", Map.of("k", "v"));
    tree.put("nothing", null);
    assertEquals("""
        {
          "zeta": 1,
          "alpha": [
            true,
            false
          ],
          "inner": {
            "k": "v"
          },
          "nothing": null
        }""", Json.pretty(tree));
  }

  @Test
  void emptyContainersStayOnOneLine() {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("list", List.of());
    tree.put("map", Map.of());
    assertEquals("{\n  \"list\": [],\n  \"map\": {}\n}", Json.pretty(tree));
    assertEquals("[]", Json.pretty(List.of()));
  }

  @Test
  void quotesBackslashesAndControlCharactersAreEscaped() {
    assertEquals("\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f nul\\u0000 us\\u001f del\\u007f /\"",
        Json.pretty("q\" b\\ n\n r\r t\t b\b f\f nul\u0000 us\u001f del\u007f /"));
  }

  @Test
  void nonAsciiIsEscapedSoTheOutputIsPureAscii() {
    String written = Json.pretty("Zoë € 😀 \u2028");
    assertEquals("\"Zo\\u00eb \\u20ac \\ud83d\\ude00 \\u2028\"", written);
    assertTrue(written.chars().allMatch(c -> c >= 0x20 && c < 0x7f), written);
  }

  @Test
  void numbersKeepEveryDigitIncludingUnsigned64BitValues() {
    assertEquals("[\n  0,\n  -7,\n  9223372036854775807,\n  18446744073709551615\n]",
        Json.pretty(List.of(0, -7L, Long.MAX_VALUE, new BigInteger("18446744073709551615"))));
  }

  @Test
  void whatItWritesAnotherParserReadsBackUnchanged() {
    StringBuilder everyChar = new StringBuilder();
    for (char c = 0; c < 0x300; c++) {
      everyChar.append(c);
    }
    everyChar.append("😀\uffff");
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("text", everyChar.toString());
    tree.put("key with \"quotes\" and \n", List.of(1L, Long.MIN_VALUE, new BigInteger("18446744073709551615"), "x",
        false));
    tree.put("nested", new LinkedHashMap<>(Map.of("empty", new ArrayList<>(), "null", Arrays.asList((Object) null))));
    assertEquals(tree, TestJson.parseObject(Json.pretty(tree)));
  }

  @Test
  void theCheckingParserRefusesWhatIsNotJson() {
    for (String bad : List.of("{\"a\": 1,}", "{\"a\": [1,]}", "{\"a\": \"\u0001\"}", "{\"a\": 01}", "{\"a\": 1} x",
        "{\"a\": 1, \"a\": 2}", "{'a': 1}", "{\"a\": tru}", "{\"a\": \"\\x\"}")) {
      assertThrows(IllegalArgumentException.class, () -> TestJson.parseObject(bad), bad);
    }
  }

  @Test
  void valuesWithoutAJsonFormAreRefused() {
    assertEquals("no JSON form for java.lang.Double",
        assertThrows(IllegalArgumentException.class, () -> Json.pretty(List.of(1.5))).getMessage());
    assertThrows(IllegalArgumentException.class, () -> Json.pretty(Map.of(1, "non-string key")));
    assertThrows(IllegalArgumentException.class, () -> Json.pretty(new byte[1]));
  }
}
