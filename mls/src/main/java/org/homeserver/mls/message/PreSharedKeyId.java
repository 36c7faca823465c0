package org.homeserver.mls.message;

import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/** Names a pre-shared key (RFC 9420 section 8.4): external, or a resumption of an earlier epoch. */
public record PreSharedKeyId(Kind kind, byte[] nonce) implements Encodable {

  /** Which PSK. */
  public sealed interface Kind {}

  public record External(byte[] pskId) implements Kind {}

  /** {@code usage}: 1 application, 2 reinit, 3 branch. */
  public record Resumption(int usage, byte[] groupId, long epoch) implements Kind {}

  public static PreSharedKeyId decode(MlsReader r) throws MlsDecodeException {
    int start = r.position();
    int type = r.u8("psktype");
    Kind kind = switch (type) {
      case 1 -> new External(r.opaque("psk_id"));
      case 2 -> {
        int usageStart = r.position();
        int usage = r.u8("usage");
        if (usage < 1 || usage > 3) {
          throw r.errorAt("usage", usageStart, "unknown resumption PSK usage " + usage);
        }
        yield new Resumption(usage, r.opaque("psk_group_id"), r.u64("psk_epoch"));
      }
      default -> throw r.errorAt("psktype", start, "unknown PSK type " + type);
    };
    return new PreSharedKeyId(kind, r.opaque("psk_nonce"));
  }

  @Override
  public void encode(MlsWriter w) {
    switch (kind) {
      case External e -> w.u8(1).opaque(e.pskId());
      case Resumption res -> w.u8(2).u8(res.usage()).opaque(res.groupId()).u64(res.epoch());
    }
    w.opaque(nonce);
  }
}
