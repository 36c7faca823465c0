package org.homeserver.mls.message;

import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/**
 * An encrypted message (RFC 9420 section 6.3): the server sees the group, epoch and content type;
 * the sender and the content stay opaque.
 */
public record PrivateMessage(byte[] groupId, long epoch, ContentType contentType, byte[] authenticatedData,
                             byte[] encryptedSenderData, byte[] ciphertext) implements Encodable, MlsMessage.Body {

  public static PrivateMessage decode(MlsReader r) throws MlsDecodeException {
    byte[] groupId = r.opaque("group_id");
    long epoch = r.u64("epoch");
    int start = r.position();
    int type = r.u8("content_type");
    ContentType contentType = ContentType.fromCode(type).orElseThrow(() ->
        r.errorAt("content_type", start, "unknown content type " + type));
    return new PrivateMessage(groupId, epoch, contentType, r.opaque("authenticated_data"),
        r.opaque("encrypted_sender_data"), r.opaque("ciphertext"));
  }

  @Override
  public void encode(MlsWriter w) {
    w.opaque(groupId).u64(epoch).u8(contentType.code()).opaque(authenticatedData).opaque(encryptedSenderData)
        .opaque(ciphertext);
  }

  @Override
  public WireFormat wireFormat() {
    return WireFormat.PRIVATE_MESSAGE;
  }
}
