package org.homeserver.mls.describe;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.HashReferences;
import org.homeserver.mls.message.Capabilities;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.validation.InvalidKeyPackageException;
import org.homeserver.mls.validation.KeyPackageValidator;

/** A KeyPackage and its leaf node: suite, credential, keys, lifetime, capabilities, reference and verdict. */
final class KeyPackageDescription {
  private KeyPackageDescription() {}

  static Map<String, Object> of(KeyPackage keyPackage, KeyPackageValidator validator) {
    return new Fields()
        .with("version", Names.version(keyPackage.version()))
        .with("cipher_suite", Names.cipherSuiteCodeAndName(keyPackage.cipherSuite()))
        .with("key_package_ref", CipherSuite.fromCode(keyPackage.cipherSuite())
            .map(suite -> Scalars.hex(HashReferences.keyPackageRef(suite, keyPackage.toBytes())))
            .orElse(null))
        .with("init_key", Scalars.hex(keyPackage.initKey()))
        .with("leaf_node", leafNode(keyPackage.leafNode()))
        .with("extensions", ExtensionDescription.of(keyPackage.extensions()))
        .with("signature", Scalars.hex(keyPackage.signature()))
        .with("validation", validation(keyPackage, validator));
  }

  static Map<String, Object> leafNode(LeafNode leaf) {
    Fields fields = new Fields()
        .with("encryption_key", Scalars.hex(leaf.encryptionKey()))
        .with("signature_key", Scalars.hex(leaf.signatureKey()))
        .with("credential", CredentialDescription.of(leaf.credential()))
        .with("capabilities", capabilities(leaf.capabilities()));
    switch (leaf.source()) {
      case LeafNode.KeyPackageSource lifetime -> fields.with("leaf_node_source", "key_package")
          .with("lifetime", new Fields()
              .with("not_before", Scalars.unsigned(lifetime.notBefore()))
              .with("not_after", Scalars.unsigned(lifetime.notAfter()))
              .with("not_before_time", Scalars.isoTime(lifetime.notBefore()).orElse(null))
              .with("not_after_time", Scalars.isoTime(lifetime.notAfter()).orElse(null)));
      case LeafNode.UpdateSource update -> fields.with("leaf_node_source", "update");
      case LeafNode.CommitSource commit -> fields.with("leaf_node_source", "commit")
          .with("parent_hash", Scalars.hex(commit.parentHash()));
    }
    return fields
        .with("extensions", ExtensionDescription.of(leaf.extensions()))
        .with("signature", Scalars.hex(leaf.signature()));
  }

  private static Map<String, Object> capabilities(Capabilities capabilities) {
    return new Fields()
        .with("versions", named(capabilities.versions(), Names::version))
        .with("cipher_suites", named(capabilities.cipherSuites(), Names::cipherSuite))
        .with("extensions", named(capabilities.extensions(), Names::extensionType))
        .with("proposals", named(capabilities.proposals(), Names::proposalType))
        .with("credentials", named(capabilities.credentials(), Names::credentialType));
  }

  private static List<Object> named(List<Integer> codes, IntFunction<Object> name) {
    return codes.stream().map(name::apply).toList();
  }

  private static Map<String, Object> validation(KeyPackage keyPackage, KeyPackageValidator validator) {
    try {
      validator.validate(keyPackage);
      return new Fields().with("valid", true);
    } catch (InvalidKeyPackageException e) {
      return new Fields().with("valid", false).with("rule", e.rule().name().toLowerCase(Locale.ROOT))
          .with("detail", e.detail());
    }
  }
}
