package org.homeserver.launcher;

import java.util.Map;
import tools.jackson.core.SerializableString;
import tools.jackson.core.io.CharacterEscapes;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.json.JsonWriteFeature;
import tools.jackson.core.util.DefaultIndenter;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.core.util.Separators;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * How {@code mls decode} writes a message's description: JSON with one member or element a line,
 * indented by two spaces, {@code "name": value}, empty objects and arrays as {@code {}} and {@code []}.
 * The output is pure printable ASCII, every other character escaped, so it reads the same in any
 * terminal encoding.
 */
final class DescriptionJson {
  private static final DefaultIndenter TWO_SPACES = new DefaultIndenter("  ", "\n");
  private static final JsonMapper JSON = JsonMapper.builder(JsonFactory.builder()
          .characterEscapes(new ControlCharacters())
          .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
          // Lowercase, like the hex of the byte fields.
          .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
          .build())
      .enable(SerializationFeature.INDENT_OUTPUT)
      .defaultPrettyPrinter(new DefaultPrettyPrinter(Separators.createDefaultInstance()
          .withObjectNameValueSpacing(Separators.Spacing.AFTER)
          .withObjectEmptySeparator("")
          .withArrayEmptySeparator(""))
          .withObjectIndenter(TWO_SPACES)
          .withArrayIndenter(TWO_SPACES))
      .build();

  private DescriptionJson() {}

  /** {@code description} (a tree from {@code MessageDescription}) as JSON, members in the tree's order. */
  static String write(Map<String, Object> description) {
    return JSON.writeValueAsString(description);
  }

  /** JSON's own escapes, and DEL too, the one ASCII control character JSON lets through. */
  private static final class ControlCharacters extends CharacterEscapes {
    private final int[] ascii = standardAsciiEscapesForJSON();

    ControlCharacters() {
      ascii[0x7f] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return null;
    }
  }
}
