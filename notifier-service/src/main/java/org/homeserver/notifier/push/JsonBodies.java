package org.homeserver.notifier.push;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.MissingNode;
import tools.jackson.databind.node.ObjectNode;

/** The JSON that push services take and answer with, written and read by one Jackson mapper. */
public final class JsonBodies {
  private static final JsonMapper JSON = JsonMapper.builder()
      // Two readers of a repeated member may disagree on which counts; refuse it outright.
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();

  private JsonBodies() {}

  /** A new, empty JSON object; its members are written in the order they are put. */
  public static ObjectNode object() {
    return JSON.createObjectNode();
  }

  /** {@code node} as compact JSON. */
  public static String write(JsonNode node) {
    return JSON.writeValueAsString(node);
  }

  /**
   * The JSON value of {@code text}.
   *
   * @throws JacksonException if it is not one JSON value
   */
  public static JsonNode parse(String text) {
    return JSON.readTree(text);
  }

  /** The JSON value of an answer's body; a missing node if it is none, as a body that is no JSON says nothing. */
  public static JsonNode read(String body) {
    try {
      return JSON.readTree(body);
    } catch (JacksonException notJson) {
      return MissingNode.getInstance();
    }
  }
}
