package org.homeserver.mls.message;

import java.util.List;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/** A signed snapshot of the group for joiners (RFC 9420 section 12.4.3). */
public record GroupInfo(GroupContext groupContext, List<Extension> extensions, byte[] confirmationTag, long signer,
                        byte[] signature) implements Encodable, MlsMessage.Body {

  public static GroupInfo decode(MlsReader r) throws MlsDecodeException {
    return new GroupInfo(r.struct("group_context", GroupContext::decode), Extension.decodeList(r, "extensions"),
        r.opaque("confirmation_tag"), r.u32("signer"), r.opaque("signature"));
  }

  @Override
  public void encode(MlsWriter w) {
    w.raw(toBeSigned()).opaque(signature);
  }

  /** GroupInfoTBS: everything but the signature. */
  public byte[] toBeSigned() {
    MlsWriter w = new MlsWriter();
    groupContext.encode(w);
    Extension.encodeList(extensions, w);
    w.opaque(confirmationTag).u32(signer);
    return w.toByteArray();
  }

  @Override
  public WireFormat wireFormat() {
    return WireFormat.GROUP_INFO;
  }
}
