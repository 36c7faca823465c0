package org.homeserver.mls.message;

import java.util.List;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/**
 * The group's state every member agrees on in an epoch (RFC 9420 section 8.1).
 *
 * @param version                 the protocol version, mls10 ({@link MlsMessage#MLS10})
 * @param cipherSuite             the IANA code of the group's cipher suite
 * @param treeHash                the hash of the ratchet tree's root (section 7.8)
 * @param confirmedTranscriptHash the hash over every commit up to this epoch (section 8.2); the zero-length
 *                                string in the epoch a group is created with (section 11)
 */
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
