package org.homeserver.mls.describe;

import java.util.Locale;
import java.util.Map;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.Extension;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.WireFormat;

/**
 * RFC 9420's names for its code points (IANA registries of section 17). A code this table does not
 * know (a GREASE value, a private or future one) is shown as its number.
 */
final class Names {
  private static final Map<Integer, String> VERSIONS = Map.of(MlsMessage.MLS10, "mls10");
  private static final Map<Integer, String> CREDENTIAL_TYPES = Map.of(Credential.BASIC, "basic", Credential.X509, "x509");
  private static final Map<Integer, String> PROPOSAL_TYPES = Map.of(Proposal.ADD, "add", Proposal.UPDATE, "update",
      Proposal.REMOVE, "remove", Proposal.PSK, "psk", Proposal.REINIT, "reinit", Proposal.EXTERNAL_INIT, "external_init",
      Proposal.GROUP_CONTEXT_EXTENSIONS, "group_context_extensions");
  private static final Map<Integer, String> EXTENSION_TYPES = Map.of(Extension.APPLICATION_ID, "application_id",
      Extension.RATCHET_TREE, "ratchet_tree", Extension.REQUIRED_CAPABILITIES, "required_capabilities",
      Extension.EXTERNAL_PUB, "external_pub", Extension.EXTERNAL_SENDERS, "external_senders",
      Extension.LAST_RESORT, "last_resort");

  private Names() {}

  static Object version(int code) {
    return named(VERSIONS, code);
  }

  static Object credentialType(int code) {
    return named(CREDENTIAL_TYPES, code);
  }

  static Object proposalType(int code) {
    return named(PROPOSAL_TYPES, code);
  }

  static Object extensionType(int code) {
    return named(EXTENSION_TYPES, code);
  }

  static Object cipherSuite(int code) {
    return CipherSuite.fromCode(code).<Object>map(CipherSuite::name).orElse(code);
  }

  /** A cipher suite as its number and, for the suites RFC 9420 defines, its name. */
  static Map<String, Object> cipherSuiteCodeAndName(int code) {
    Fields fields = new Fields().with("code", code);
    CipherSuite.fromCode(code).ifPresent(suite -> fields.with("name", suite.name()));
    return fields;
  }

  /** As RFC 9420 spells it: {@code mls_public_message} and so on. */
  static String wireFormat(WireFormat format) {
    return "mls_" + lower(format);
  }

  static String lower(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  private static Object named(Map<Integer, String> names, int code) {
    String name = names.get(code);
    return name != null ? name : (Object) code;
  }
}
