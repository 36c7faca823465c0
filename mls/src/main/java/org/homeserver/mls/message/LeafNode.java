package org.homeserver.mls.message;

import java.util.List;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/** A member's leaf in the ratchet tree (RFC 9420 section 7.2), with its source-specific part. */
public record LeafNode(byte[] encryptionKey, byte[] signatureKey, Credential credential, Capabilities capabilities,
                       Source source, List<Extension> extensions, byte[] signature) implements Encodable {

  /** Where the leaf node comes from, with what that source carries. */
  public sealed interface Source {
    int code();
  }

  /** In a KeyPackage: valid between two instants, in seconds since the Unix epoch (unsigned). */
  public record KeyPackageSource(long notBefore, long notAfter) implements Source {
    @Override
    public int code() {
      return 1;
    }
  }

  public record UpdateSource() implements Source {
    @Override
    public int code() {
      return 2;
    }
  }

  public record CommitSource(byte[] parentHash) implements Source {
    @Override
    public int code() {
      return 3;
    }
  }

  public static LeafNode decode(MlsReader r) throws MlsDecodeException {
    byte[] encryptionKey = r.opaque("encryption_key");
    byte[] signatureKey = r.opaque("signature_key");
    Credential credential = r.struct("credential", Credential::decode);
    Capabilities capabilities = r.struct("capabilities", Capabilities::decode);
    int start = r.position();
    int code = r.u8("leaf_node_source");
    Source source = switch (code) {
      case 1 -> r.struct("lifetime", x -> new KeyPackageSource(x.u64("not_before"), x.u64("not_after")));
      case 2 -> new UpdateSource();
      case 3 -> new CommitSource(r.opaque("parent_hash"));
      default -> throw r.errorAt("leaf_node_source", start, "unknown leaf node source " + code);
    };
    List<Extension> extensions = Extension.decodeList(r, "extensions");
    byte[] signature = r.opaque("signature");
    return new LeafNode(encryptionKey, signatureKey, credential, capabilities, source, extensions, signature);
  }

  @Override
  public void encode(MlsWriter w) {
    encodeContent(w);
    w.opaque(signature);
  }

  /**
   * LeafNodeTBS (RFC 9420 section 7.2): the content, then for update and commit leaves the group id
   * and leaf index the signature binds (a key_package leaf binds neither; they are ignored).
   */
  public byte[] toBeSigned(byte[] groupId, long leafIndex) {
    MlsWriter w = new MlsWriter();
    encodeContent(w);
    if (!(source instanceof KeyPackageSource)) {
      w.opaque(groupId).u32(leafIndex);
    }
    return w.toByteArray();
  }

  private void encodeContent(MlsWriter w) {
    w.opaque(encryptionKey).opaque(signatureKey);
    credential.encode(w);
    capabilities.encode(w);
    w.u8(source.code());
    switch (source) {
      case KeyPackageSource l -> w.u64(l.notBefore()).u64(l.notAfter());
      case UpdateSource u -> { }
      case CommitSource c -> w.opaque(c.parentHash());
    }
    Extension.encodeList(extensions, w);
  }
}
