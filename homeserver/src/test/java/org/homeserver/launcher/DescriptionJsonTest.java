package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

class DescriptionJsonTest {
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
        }""", DescriptionJson.write(tree));
  }

  @Test
  void emptyContainersStayOnOneLine() {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("list", List.of());
    tree.put("map", Map.of());
    assertEquals("{\n  \"list\": [],\n  \"map\": {}\n}", DescriptionJson.write(tree));
    assertEquals("{}", DescriptionJson.write(Map.of()));
  }

  @Test
  void quotesBackslashesAndControlCharactersAreEscaped() {
    assertEquals("{\n  \"s\": \"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f nul\\u0000 us\\u001f del\\u007f /\"\n}",
        DescriptionJson.write(Map.of("s", "q\" b\\ n\n r\r t\t b\b f\f nul\u0000 us\u001f del\u007f /")));
  }

  @Test
  void nonAsciiIsEscapedSoTheOutputIsPureAscii() {
    String written = DescriptionJson.write(Map.of("Zoë", "Zoë € 😀 \u2028"));
    assertEquals("{\n  \"Zo\\u00eb\": \"Zo\\u00eb \\u20ac \\ud83d\\ude00 \\u2028\"\n}", written);
    assertTrue(written.chars().allMatch(c -> c == '\n' || (c >= 0x20 && c < 0x7f)), written);
  }

  @Test
  void numbersKeepEveryDigitIncludingUnsigned64BitValues() {
    assertEquals("{\n  \"n\": [\n    0,\n    -7,\n    9223372036854775807,\n    18446744073709551615\n  ]\n}",
        DescriptionJson.write(Map.of("n", List.of(0, -7L, Long.MAX_VALUE, new BigInteger("18446744073709551615")))));
  }

  @Test
  void whatItWritesReadsBackUnchanged() {
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
    JsonMapper reader = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS).build();
    Map<String, Object> read = reader.readValue(DescriptionJson.write(tree), new TypeReference<>() {});
    assertEquals(tree.get("text"), read.get("text"));
    assertEquals(List.of(BigInteger.ONE, BigInteger.valueOf(Long.MIN_VALUE), new BigInteger("18446744073709551615"),
        "x", false), read.get("key with \"quotes\" and \n"));
    assertEquals(tree.get("nested"), read.get("nested"));
  }
}
