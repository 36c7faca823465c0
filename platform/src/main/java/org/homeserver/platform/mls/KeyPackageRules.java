package org.homeserver.platform.mls;

import org.homeserver.api.keypackage.v1.KeyPackageRule;

/** The API's names (keypackage.proto KeyPackageRule) of the rules the mls validator checks. */
public final class KeyPackageRules {
  private KeyPackageRules() {}

  /** The KeyPackageRule a client is told for a broken validation rule. */
  public static KeyPackageRule of(org.homeserver.mls.validation.KeyPackageRule rule) {
    return switch (rule) {
      case VERSION -> KeyPackageRule.KEY_PACKAGE_RULE_VERSION_UNSUPPORTED;
      case CIPHER_SUITE -> KeyPackageRule.KEY_PACKAGE_RULE_CIPHER_SUITE_NOT_ALLOWED;
      case LEAF_NODE_SOURCE -> KeyPackageRule.KEY_PACKAGE_RULE_LEAF_NODE_SOURCE_INVALID;
      case LIFETIME -> KeyPackageRule.KEY_PACKAGE_RULE_LIFETIME_INVALID;
      case INIT_KEY_REUSED -> KeyPackageRule.KEY_PACKAGE_RULE_INIT_KEY_REUSED;
      case HPKE_KEY -> KeyPackageRule.KEY_PACKAGE_RULE_MALFORMED;
      case CAPABILITIES -> KeyPackageRule.KEY_PACKAGE_RULE_CAPABILITIES_INVALID;
      case SIGNATURE_KEY, LEAF_NODE_SIGNATURE, SIGNATURE -> KeyPackageRule.KEY_PACKAGE_RULE_SIGNATURE_INVALID;
    };
  }
}
