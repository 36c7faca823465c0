package org.homeserver.mls.describe;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.message.Extension;
import org.homeserver.mls.message.RatchetTree;

/**
 * Extensions: the known ones by name and decoded (the ratchet tree summarised), the others by number and size;
 * a known one whose data does not decode by size and what is wrong with it.
 */
final class ExtensionDescription {
  private ExtensionDescription() {}

  static List<Map<String, Object>> of(List<Extension> extensions) {
    return extensions.stream().map(ExtensionDescription::of).toList();
  }

  static Map<String, Object> of(Extension extension) {
    Fields fields = new Fields().with("type", Names.extensionType(extension.type()));
    Optional<Extension.Known> known;
    try {
      known = extension.known();
    } catch (MlsDecodeException e) {
      return fields.with("data_length", extension.data().length).with("malformed", e.getMessage());
    }
    if (known.isEmpty()) {
      return fields.with("data_length", extension.data().length);
    }
    return switch (known.get()) {
      case Extension.ApplicationId id -> fields.with("application_id", Scalars.hex(id.applicationId()));
      case Extension.RatchetTreeExtension tree -> ratchetTree(fields, tree.tree());
      case Extension.RequiredCapabilities required -> fields
          .with("extension_types", required.extensionTypes().stream().map(Names::extensionType).toList())
          .with("proposal_types", required.proposalTypes().stream().map(Names::proposalType).toList())
          .with("credential_types", required.credentialTypes().stream().map(Names::credentialType).toList());
      case Extension.ExternalPub pub -> fields.with("external_pub", Scalars.hex(pub.externalPub()));
      case Extension.ExternalSenders senders -> fields.with("external_senders", senders.senders().stream()
          .map(s -> new Fields()
              .with("signature_key", Scalars.hex(s.signatureKey()))
              .with("credential", CredentialDescription.of(s.credential())))
          .toList());
      case Extension.LastResort lastResort -> fields;
    };
  }

  /** The tree's size and its members; parent nodes hold nothing a client developer looks up by eye. */
  private static Fields ratchetTree(Fields fields, RatchetTree tree) {
    List<Map<String, Object>> leaves = new ArrayList<>();
    List<Optional<RatchetTree.Node>> nodes = tree.nodes();
    // Leaves sit at the even node indices (RFC 9420 appendix C): leaf i is node 2i.
    for (int node = 0; node < nodes.size(); node += 2) {
      if (nodes.get(node).orElse(null) instanceof RatchetTree.Leaf leaf) {
        leaves.add(new Fields()
            .with("leaf_index", node / 2)
            .with("credential", CredentialDescription.of(leaf.leafNode().credential()))
            .with("signature_key", Scalars.hex(leaf.leafNode().signatureKey())));
      }
    }
    return fields.with("node_count", nodes.size()).with("leaves", leaves);
  }
}
