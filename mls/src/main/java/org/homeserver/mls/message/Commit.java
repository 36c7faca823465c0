package org.homeserver.mls.message;

import java.util.List;
import java.util.Optional;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/** A commit (RFC 9420 section 12.4): proposals by value or by reference, and an optional UpdatePath. */
public record Commit(List<ProposalOrRef> proposals, Optional<UpdatePath> path) implements Encodable {

  /** A proposal carried in the commit, or a reference to one sent earlier in the epoch. */
  public sealed interface ProposalOrRef {}

  public record ByValue(Proposal proposal) implements ProposalOrRef {}

  public record ByReference(byte[] proposalRef) implements ProposalOrRef {}

  /** The committer's new leaf and the path secrets for the rest of the tree. */
  public record UpdatePath(LeafNode leafNode, List<UpdatePathNode> nodes) {}

  public record UpdatePathNode(byte[] encryptionKey, List<HpkeCiphertext> encryptedPathSecret) {}

  public static Commit decode(MlsReader r) throws MlsDecodeException {
    return new Commit(r.vector("proposals", Commit::decodeProposalOrRef), r.optional("path", Commit::decodePath));
  }

  private static ProposalOrRef decodeProposalOrRef(MlsReader r) throws MlsDecodeException {
    int start = r.position();
    int type = r.u8("type");
    return switch (type) {
      case 1 -> new ByValue(r.struct("proposal", Proposal::decode));
      case 2 -> new ByReference(r.opaque("reference"));
      default -> throw r.errorAt("type", start, "unknown ProposalOrRef type " + type);
    };
  }

  private static UpdatePath decodePath(MlsReader r) throws MlsDecodeException {
    return new UpdatePath(r.struct("leaf_node", LeafNode::decode), r.vector("nodes", n -> new UpdatePathNode(
        n.opaque("encryption_key"), n.vector("encrypted_path_secret", HpkeCiphertext::decode))));
  }

  @Override
  public void encode(MlsWriter w) {
    w.vector(proposals, (p, x) -> {
      switch (p) {
        case ByValue v -> {
          x.u8(1);
          v.proposal().encode(x);
        }
        case ByReference ref -> x.u8(2).opaque(ref.proposalRef());
      }
    });
    w.optional(path, (p, x) -> {
      p.leafNode().encode(x);
      x.vector(p.nodes(), (n, y) -> y.opaque(n.encryptionKey()).vector(n.encryptedPathSecret(), HpkeCiphertext::encode));
    });
  }
}
