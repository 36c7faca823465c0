package org.homeserver.mls.group;

import java.util.List;
import java.util.Optional;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.LabeledSignatures;
import org.homeserver.mls.message.Capabilities;
import org.homeserver.mls.message.Extension;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.Sender;
import org.homeserver.mls.tree.PublicTree;
import org.homeserver.mls.validation.InvalidKeyPackageException;
import org.homeserver.mls.validation.KeyPackageValidator;

/**
 * The checks of one proposal on its own (RFC 9420 section 12.1), against the state of the epoch it
 * is sent in, and of the leaf nodes that Adds, Updates and UpdatePaths bring (section 7.3: source,
 * signature, capabilities, and fitting the group's required capabilities and credential types).
 * Lifetimes are checked for KeyPackages, the only leaves that carry one.
 */
final class ProposalCheck {
  private final PublicGroupState state;

  ProposalCheck(PublicGroupState state) {
    this.state = state;
  }

  void checkAlone(Proposal proposal, Sender sender) throws GroupStateException {
    switch (proposal) {
      case Proposal.Add add -> checkKeyPackage(add);
      case Proposal.Update update -> {
        if (!(sender instanceof Sender.Member m)) {
          throw new GroupStateException(GroupRule.PROPOSAL, "only a member can propose an Update, not " + sender);
        }
        checkLeaf(update.leafNode(), LeafNode.UpdateSource.class, m.leafIndex());
      }
      case Proposal.Remove remove -> {
        if (state.tree().leaf(remove.removed()).isEmpty()) {
          throw new GroupStateException(GroupRule.PROPOSAL, "Remove of leaf " + remove.removed() + ", not a member");
        }
      }
      case Proposal.PreSharedKey psk -> { }
      case Proposal.GroupContextExtensions gce -> { }
      case Proposal.ExternalInit init -> throw new GroupStateException(GroupRule.PROPOSAL,
          "an ExternalInit comes only by value in an external commit");
      case Proposal.ReInit reInit -> throw new GroupStateException(GroupRule.UNSUPPORTED, "ReInit is not followed yet");
      case Proposal.Unknown unknown -> throw new GroupStateException(GroupRule.UNSUPPORTED,
          "proposal type " + unknown.type() + " is not followed");
    }
  }

  /** Section 12.1.1: a valid KeyPackage (section 10.1) of the group's suite. */
  private void checkKeyPackage(Proposal.Add add) throws GroupStateException {
    CipherSuite suite;
    try {
      suite = state.keyPackages().validate(add.keyPackage());
    } catch (InvalidKeyPackageException e) {
      throw new GroupStateException(GroupRule.KEY_PACKAGE, e.getMessage());
    }
    if (suite != state.suite()) {
      throw new GroupStateException(GroupRule.KEY_PACKAGE, "the KeyPackage is for " + suite + ", the group uses "
          + state.suite());
    }
    checkFitsGroup(add.keyPackage().leafNode(), -1, GroupRule.KEY_PACKAGE);
  }

  /**
   * Section 12.1.7: the GroupContext extensions a GroupContextExtensions proposal sets must be
   * supported by every member of {@code tree} (the tree after the commit): each extension type
   * that is not a default one listed in every leaf's capabilities, and what new
   * required_capabilities require.
   */
  static void checkExtensionsSupported(PublicTree tree, List<Extension> extensions) throws GroupStateException {
    Optional<Extension.RequiredCapabilities> required = requiredCapabilities(extensions);
    for (int i = 0; i < tree.leafCount(); i++) {
      if (tree.leaf(i).isEmpty()) {
        continue;
      }
      Capabilities capabilities = tree.leaf(i).get().capabilities();
      for (Extension e : extensions) {
        if (!KeyPackageValidator.isDefaultExtension(e.type()) && !capabilities.extensions().contains(e.type())) {
          throw new GroupStateException(GroupRule.PROPOSAL, "the GroupContextExtensions set extension type " + e.type()
              + ", which leaf " + i + " does not support");
        }
      }
      if (required.isPresent() && !supports(capabilities, required.get())) {
        throw new GroupStateException(GroupRule.PROPOSAL, "the GroupContextExtensions require capabilities leaf " + i
            + " lacks");
      }
    }
  }

  private static Optional<Extension.RequiredCapabilities> requiredCapabilities(List<Extension> extensions)
      throws GroupStateException {
    for (Extension e : extensions) {
      if (e.type() == Extension.REQUIRED_CAPABILITIES) {
        try {
          return Optional.of((Extension.RequiredCapabilities) e.known().orElseThrow());
        } catch (MlsDecodeException bad) {
          throw new GroupStateException(GroupRule.PROPOSAL, "the required_capabilities extension does not decode: "
              + bad.getMessage());
        }
      }
    }
    return Optional.empty();
  }

  private static boolean supports(Capabilities capabilities, Extension.RequiredCapabilities required) {
    return capabilities.extensions().containsAll(required.extensionTypes())
        && capabilities.proposals().containsAll(required.proposalTypes())
        && capabilities.credentials().containsAll(required.credentialTypes());
  }

  /**
   * Section 7.3, a leaf in the group's context: it supports what the GroupContext's
   * required_capabilities requires and every credential type the other members use, and every
   * other member supports its credential type. {@code replaced} is the leaf it replaces, or -1.
   */
  private void checkFitsGroup(LeafNode leaf, long replaced, GroupRule rule) throws GroupStateException {
    Capabilities capabilities = leaf.capabilities();
    Optional<Extension.RequiredCapabilities> required = requiredCapabilities(state.groupContext().extensions());
    if (required.isPresent() && !supports(capabilities, required.get())) {
      throw new GroupStateException(rule, "the leaf's capabilities lack what the group's required_capabilities"
          + " require");
    }
    int credentialType = leaf.credential().type();
    PublicTree tree = state.tree();
    for (int i = 0; i < tree.leafCount(); i++) {
      if (i == replaced || tree.leaf(i).isEmpty()) {
        continue;
      }
      LeafNode member = tree.leaf(i).get();
      if (!member.capabilities().credentials().contains(credentialType)) {
        throw new GroupStateException(rule, "leaf " + i + " does not support credential type " + credentialType
            + ", which the new leaf uses");
      }
      if (!capabilities.credentials().contains(member.credential().type())) {
        throw new GroupStateException(rule, "the new leaf does not support credential type "
            + member.credential().type() + ", which leaf " + i + " uses");
      }
    }
  }

  /**
   * Section 7.3 for a leaf node that replaces leaf {@code leafIndex}: the source the proposal or path
   * requires, its signature over LeafNodeTBS with the group id and the leaf index, its capabilities,
   * and its fit with the group ({@link #checkFitsGroup}). Uniqueness of its keys is checked on the
   * whole new tree afterwards.
   */
  void checkLeaf(LeafNode leaf, Class<? extends LeafNode.Source> source, long leafIndex) throws GroupStateException {
    if (!source.isInstance(leaf.source())) {
      throw new GroupStateException(GroupRule.LEAF_NODE, "leaf " + leafIndex + "'s new leaf node has source "
          + leaf.source().code() + ", not " + source.getSimpleName());
    }
    if (!LabeledSignatures.verifyWithLabel(state.suite().signatureScheme(), leaf.signatureKey(), "LeafNodeTBS",
        leaf.toBeSigned(state.groupContext().groupId(), leafIndex), leaf.signature())) {
      throw new GroupStateException(GroupRule.LEAF_NODE, "leaf " + leafIndex + "'s new leaf node's signature does not"
          + " verify");
    }
    try {
      KeyPackageValidator.checkCapabilities(leaf, List.of(), state.suite());
    } catch (InvalidKeyPackageException e) {
      throw new GroupStateException(GroupRule.LEAF_NODE, "leaf " + leafIndex + "'s new leaf node: " + e.detail());
    }
    checkFitsGroup(leaf, leafIndex, GroupRule.LEAF_NODE);
  }
}
