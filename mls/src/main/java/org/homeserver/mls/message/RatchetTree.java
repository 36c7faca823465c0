package org.homeserver.mls.message;

import java.util.List;
import java.util.Optional;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/** The ratchet tree as sent (RFC 9420 section 12.4.3.3): {@code optional<Node> ratchet_tree<V>}. */
public record RatchetTree(List<Optional<Node>> nodes) implements Encodable {

  /** A tree node: a leaf or a parent. */
  public sealed interface Node {}

  public record Leaf(LeafNode leafNode) implements Node {}

  /** A ParentNode (RFC 9420 section 7.1); unmerged leaves are leaf indices. */
  public record Parent(byte[] encryptionKey, byte[] parentHash, List<Long> unmergedLeaves) implements Node, Encodable {
    @Override
    public void encode(MlsWriter w) {
      w.opaque(encryptionKey).opaque(parentHash).vector(unmergedLeaves, (i, z) -> z.u32(i));
    }
  }

  /** Decodes the tree; leaves must sit at even node indices and parents at odd ones (RFC 9420 section 4.1). */
  public static RatchetTree decode(MlsReader r) throws MlsDecodeException {
    int start = r.position();
    List<Optional<Node>> nodes = r.vector("nodes", x -> x.optional("node", RatchetTree::decodeNode));
    for (int i = 0; i < nodes.size(); i++) {
      Optional<Node> node = nodes.get(i);
      if (node.isPresent() && (node.get() instanceof Leaf) != (i % 2 == 0)) {
        throw r.errorAt("nodes[" + i + "]", start, (i % 2 == 0 ? "a parent" : "a leaf")
            + " node at index " + i + ", where the tree has " + (i % 2 == 0 ? "leaves" : "parents"));
      }
    }
    return new RatchetTree(nodes);
  }

  /** One node as the tree encodes it inside its {@code optional<Node>}: node_type, then the node. */
  public static Node decodeNode(MlsReader r) throws MlsDecodeException {
    int start = r.position();
    int type = r.u8("node_type");
    return switch (type) {
      case 1 -> new Leaf(r.struct("leaf_node", LeafNode::decode));
      case 2 -> r.struct("parent_node", x -> new Parent(x.opaque("encryption_key"), x.opaque("parent_hash"),
          x.vector("unmerged_leaves", y -> y.u32("leaf_index"))));
      default -> throw r.errorAt("node_type", start, "unknown node type " + type);
    };
  }

  @Override
  public void encode(MlsWriter w) {
    w.vector(nodes, (node, x) -> x.optional(node, RatchetTree::encodeNode));
  }

  /** Writes one node as {@link #decodeNode} reads it. */
  public static void encodeNode(Node node, MlsWriter w) {
    switch (node) {
      case Leaf l -> {
        w.u8(1);
        l.leafNode().encode(w);
      }
      case Parent p -> {
        w.u8(2);
        p.encode(w);
      }
    }
  }
}
