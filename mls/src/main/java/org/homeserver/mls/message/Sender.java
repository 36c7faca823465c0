package org.homeserver.mls.message;

import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/** Who sent a framed message (RFC 9420 section 6). */
public sealed interface Sender extends Encodable {
  record Member(long leafIndex) implements Sender {
    public void encode(MlsWriter w) {
      w.u8(1).u32(leafIndex);
    }

    @Override
    public String toString() {
      return "the member at leaf " + leafIndex;
    }
  }

  /** One of the group's external senders, by index into its external_senders extension. */
  record External(long senderIndex) implements Sender {
    public void encode(MlsWriter w) {
      w.u8(2).u32(senderIndex);
    }

    @Override
    public String toString() {
      return "external sender " + senderIndex;
    }
  }

  record NewMemberProposal() implements Sender {
    public void encode(MlsWriter w) {
      w.u8(3);
    }

    @Override
    public String toString() {
      return "a new member proposing to join";
    }
  }

  record NewMemberCommit() implements Sender {
    public void encode(MlsWriter w) {
      w.u8(4);
    }

    @Override
    public String toString() {
      return "a new member committing to join";
    }
  }

  static Sender decode(MlsReader r) throws MlsDecodeException {
    int start = r.position();
    int type = r.u8("sender_type");
    return switch (type) {
      case 1 -> new Member(r.u32("leaf_index"));
      case 2 -> new External(r.u32("sender_index"));
      case 3 -> new NewMemberProposal();
      case 4 -> new NewMemberCommit();
      default -> throw r.errorAt("sender_type", start, "unknown sender type " + type);
    };
  }
}
