package org.homeserver.mls.describe;

import java.util.Map;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.PreSharedKeyId;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.validation.KeyPackageValidator;

/** Proposals by type name with their key fields, and commits with their proposals and UpdatePath. */
final class ProposalDescription {
  private ProposalDescription() {}

  static Map<String, Object> of(Proposal proposal, KeyPackageValidator validator) {
    return body(new Fields().with("type", Names.proposalType(proposal.type())), proposal, validator);
  }

  static Map<String, Object> commit(Commit commit, KeyPackageValidator validator) {
    return new Fields()
        .with("proposals", commit.proposals().stream().map(p -> switch (p) {
          case Commit.ByValue value -> body(new Fields().with("by", "value")
              .with("type", Names.proposalType(value.proposal().type())), value.proposal(), validator);
          case Commit.ByReference reference -> new Fields().with("by", "reference")
              .with("proposal_ref", Scalars.hex(reference.proposalRef()));
        }).toList())
        .with("path", commit.path().map(path -> new Fields()
            .with("leaf_node", KeyPackageDescription.leafNode(path.leafNode()))
            .with("node_count", path.nodes().size())).orElse(null));
  }

  private static Fields body(Fields fields, Proposal proposal, KeyPackageValidator validator) {
    return switch (proposal) {
      case Proposal.Add add -> fields.with("key_package", KeyPackageDescription.of(add.keyPackage(), validator));
      case Proposal.Update update -> fields.with("leaf_node", KeyPackageDescription.leafNode(update.leafNode()));
      case Proposal.Remove remove -> fields.with("removed", remove.removed());
      case Proposal.PreSharedKey psk -> fields.with("psk", psk(psk.psk()));
      case Proposal.ReInit reInit -> fields
          .with("group_id", Scalars.hex(reInit.groupId()))
          .with("version", Names.version(reInit.version()))
          .with("cipher_suite", Names.cipherSuiteCodeAndName(reInit.cipherSuite()))
          .with("extensions", ExtensionDescription.of(reInit.extensions()));
      case Proposal.ExternalInit init -> fields.with("kem_output", Scalars.hex(init.kemOutput()));
      case Proposal.GroupContextExtensions gce -> fields.with("extensions", ExtensionDescription.of(gce.extensions()));
      case Proposal.Unknown unknown -> fields.with("data_length", unknown.body().length);
    };
  }

  private static Map<String, Object> psk(PreSharedKeyId id) {
    Fields fields = switch (id.kind()) {
      case PreSharedKeyId.External external -> new Fields().with("psktype", "external")
          .with("psk_id", Scalars.hex(external.pskId()));
      case PreSharedKeyId.Resumption resumption -> new Fields().with("psktype", "resumption")
          .with("usage", usage(resumption.usage()))
          .with("psk_group_id", Scalars.hex(resumption.groupId()))
          .with("psk_epoch", Scalars.unsigned(resumption.epoch()));
    };
    return fields.with("psk_nonce", Scalars.hex(id.nonce()));
  }

  private static Object usage(int usage) {
    return switch (usage) {
      case 1 -> "application";
      case 2 -> "reinit";
      case 3 -> "branch";
      default -> usage;
    };
  }
}
