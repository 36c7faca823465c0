package org.homeserver.mls.message;

import java.util.List;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/** A KeyPackage (RFC 9420 section 10): what a client publishes so others can add it to groups. */
public record KeyPackage(int version, int cipherSuite, byte[] initKey, LeafNode leafNode, List<Extension> extensions,
                         byte[] signature) implements Encodable {

  public static KeyPackage decode(MlsReader r) throws MlsDecodeException {
    return new KeyPackage(r.u16("version"), r.u16("cipher_suite"), r.opaque("init_key"),
        r.struct("leaf_node", LeafNode::decode), Extension.decodeList(r, "extensions"), r.opaque("signature"));
  }

  @Override
  public void encode(MlsWriter w) {
    w.raw(toBeSigned()).opaque(signature);
  }

  /** KeyPackageTBS: everything but the signature. */
  public byte[] toBeSigned() {
    MlsWriter w = new MlsWriter();
    w.u16(version).u16(cipherSuite).opaque(initKey);
    leafNode.encode(w);
    Extension.encodeList(extensions, w);
    return w.toByteArray();
  }
}
