package org.homeserver.launcher;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.homeserver.mls.conformance.PassiveClientCase;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a passive-client test-vector file of the MLS working group (a JSON array of cases, binary
 * values as hex) into {@link PassiveClientCase}s. Checked whole before any case is run: anything
 * that is not that format is one {@link NotVectors} naming the case and field.
 */
final class PassiveClientVectorFile {
  /** The input is not JSON, or not a passive-client vector file. */
  static final class NotVectors extends Exception {
    NotVectors(String message) {
      super(message, null, false, false);
    }
  }

  private PassiveClientVectorFile() {}

  static List<PassiveClientCase> parse(byte[] json) throws NotVectors {
    JsonNode root;
    try {
      root = JsonMapper.shared().readTree(json);
    } catch (JacksonException e) {
      throw new NotVectors("not JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isArray()) {
      throw new NotVectors("not a passive-client vector file: expected a JSON array of test cases");
    }
    List<PassiveClientCase> cases = new ArrayList<>();
    for (int i = 0; i < root.size(); i++) {
      cases.add(testCase(i, root.get(i)));
    }
    return cases;
  }

  private static PassiveClientCase testCase(int index, JsonNode c) throws NotVectors {
    String where = "case " + index;
    if (!c.isObject()) {
      throw new NotVectors(where + " is not an object: not a passive-client vector file");
    }
    JsonNode suite = c.get("cipher_suite");
    if (suite == null || !suite.isIntegralNumber() || !suite.canConvertToInt()) {
      throw new NotVectors(where + ": cipher_suite is missing or not an integer: not a passive-client vector file");
    }
    JsonNode tree = c.get("ratchet_tree");
    Optional<byte[]> ratchetTree = tree == null || tree.isNull() ? Optional.empty()
        : Optional.of(hex(where, "ratchet_tree", tree));
    List<PassiveClientCase.ExternalPsk> psks = new ArrayList<>();
    JsonNode externalPsks = c.get("external_psks");
    if (externalPsks != null && !externalPsks.isNull()) {
      for (int i = 0; i < array(where, "external_psks", externalPsks).size(); i++) {
        JsonNode psk = object(where, "external_psks[" + i + "]", externalPsks.get(i));
        psks.add(new PassiveClientCase.ExternalPsk(hexField(where, psk, "psk_id"), hexField(where, psk, "psk")));
      }
    }
    List<PassiveClientCase.Epoch> epochs = new ArrayList<>();
    JsonNode epochArray = array(where, "epochs", c.get("epochs"));
    for (int e = 0; e < epochArray.size(); e++) {
      String epochWhere = where + " epochs[" + e + "]";
      JsonNode epoch = object(where, "epochs[" + e + "]", epochArray.get(e));
      JsonNode proposalArray = array(epochWhere, "proposals", epoch.get("proposals"));
      List<byte[]> proposals = new ArrayList<>();
      for (int p = 0; p < proposalArray.size(); p++) {
        proposals.add(hex(epochWhere, "proposals[" + p + "]", proposalArray.get(p)));
      }
      epochs.add(new PassiveClientCase.Epoch(proposals, hexField(epochWhere, epoch, "commit")));
    }
    return new PassiveClientCase(index, suite.intValue(), hexField(where, c, "key_package"),
        hexField(where, c, "welcome"), hexField(where, c, "init_priv"), ratchetTree, psks, epochs);
  }

  private static byte[] hexField(String where, JsonNode object, String name) throws NotVectors {
    return hex(where, name, object.get(name));
  }

  private static byte[] hex(String where, String name, JsonNode value) throws NotVectors {
    if (value == null || !value.isString()) {
      throw new NotVectors(where + ": " + name + " is missing or not a string: not a passive-client vector file");
    }
    try {
      return HexFormat.of().parseHex(value.stringValue());
    } catch (IllegalArgumentException e) {
      throw new NotVectors(where + ": " + name + " is not hex: " + e.getMessage());
    }
  }

  private static JsonNode array(String where, String name, JsonNode value) throws NotVectors {
    if (value == null || !value.isArray()) {
      throw new NotVectors(where + ": " + name + " is missing or not an array: not a passive-client vector file");
    }
    return value;
  }

  private static JsonNode object(String where, String name, JsonNode value) throws NotVectors {
    if (value == null || !value.isObject()) {
      throw new NotVectors(where + ": " + name + " is not an object: not a passive-client vector file");
    }
    return value;
  }
}
