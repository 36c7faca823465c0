package org.homeserver.mls.message;

import java.util.List;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/**
 * A proposal (RFC 9420 section 12.1): every standard type decoded; other types (custom proposals,
 * RFC 9420 section 12.1.8.1 style) carried as an {@code opaque<V>} body.
 */
public sealed interface Proposal extends Encodable {
  int ADD = 1;
  int UPDATE = 2;
  int REMOVE = 3;
  int PSK = 4;
  int REINIT = 5;
  int EXTERNAL_INIT = 6;
  int GROUP_CONTEXT_EXTENSIONS = 7;

  int type();

  /** The body alone, without the type: what the vectors call e.g. {@code add_proposal}. */
  void encodeBody(MlsWriter w);

  @Override
  default void encode(MlsWriter w) {
    w.u16(type());
    encodeBody(w);
  }

  record Add(KeyPackage keyPackage) implements Proposal {
    public int type() {
      return ADD;
    }

    public void encodeBody(MlsWriter w) {
      keyPackage.encode(w);
    }
  }

  record Update(LeafNode leafNode) implements Proposal {
    public int type() {
      return UPDATE;
    }

    public void encodeBody(MlsWriter w) {
      leafNode.encode(w);
    }
  }

  record Remove(long removed) implements Proposal {
    public int type() {
      return REMOVE;
    }

    public void encodeBody(MlsWriter w) {
      w.u32(removed);
    }
  }

  record PreSharedKey(PreSharedKeyId psk) implements Proposal {
    public int type() {
      return PSK;
    }

    public void encodeBody(MlsWriter w) {
      psk.encode(w);
    }
  }

  record ReInit(byte[] groupId, int version, int cipherSuite, List<Extension> extensions) implements Proposal {
    public int type() {
      return REINIT;
    }

    public void encodeBody(MlsWriter w) {
      w.opaque(groupId).u16(version).u16(cipherSuite);
      Extension.encodeList(extensions, w);
    }
  }

  record ExternalInit(byte[] kemOutput) implements Proposal {
    public int type() {
      return EXTERNAL_INIT;
    }

    public void encodeBody(MlsWriter w) {
      w.opaque(kemOutput);
    }
  }

  record GroupContextExtensions(List<Extension> extensions) implements Proposal {
    public int type() {
      return GROUP_CONTEXT_EXTENSIONS;
    }

    public void encodeBody(MlsWriter w) {
      Extension.encodeList(extensions, w);
    }
  }

  record Unknown(int type, byte[] body) implements Proposal {
    public void encodeBody(MlsWriter w) {
      w.opaque(body);
    }
  }

  static Proposal decode(MlsReader r) throws MlsDecodeException {
    return decodeBody(r, r.u16("proposal_type"));
  }

  /** The body of a proposal of {@code type}. */
  static Proposal decodeBody(MlsReader r, int type) throws MlsDecodeException {
    return switch (type) {
      case ADD -> new Add(r.struct("key_package", KeyPackage::decode));
      case UPDATE -> new Update(r.struct("leaf_node", LeafNode::decode));
      case REMOVE -> new Remove(r.u32("removed"));
      case PSK -> new PreSharedKey(r.struct("psk", PreSharedKeyId::decode));
      case REINIT -> new ReInit(r.opaque("group_id"), r.u16("version"), r.u16("cipher_suite"),
          Extension.decodeList(r, "extensions"));
      case EXTERNAL_INIT -> new ExternalInit(r.opaque("kem_output"));
      case GROUP_CONTEXT_EXTENSIONS -> new GroupContextExtensions(Extension.decodeList(r, "extensions"));
      default -> new Unknown(type, r.opaque("proposal_data"));
    };
  }
}
