package org.homeserver.mls.message;

import java.util.List;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/** The group's state every member agrees on in an epoch (RFC 9420 section 8.1). */
public record GroupContext(int version, int cipherSuite, byte[] groupId, long epoch, byte[] treeHash,
                           byte[] confirmedTranscriptHash, List<Extension> extensions) implements Encodable {

  public static GroupContext decode(MlsReader r) throws MlsDecodeException {
    return new GroupContext(r.u16("version"), r.u16("cipher_suite"), r.opaque("group_id"), r.u64("epoch"),
        r.opaque("tree_hash"), r.opaque("confirmed_transcript_hash"), Extension.decodeList(r, "extensions"));
  }

  @Override
  public void encode(MlsWriter w) {
    w.u16(version).u16(cipherSuite).opaque(groupId).u64(epoch).opaque(treeHash).opaque(confirmedTranscriptHash);
    Extension.encodeList(extensions, w);
  }
}
