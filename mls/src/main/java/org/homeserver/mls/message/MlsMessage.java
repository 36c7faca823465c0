package org.homeserver.mls.message;

import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/** The envelope of everything MLS sends (RFC 9420 section 6): version, wire format and body. */
public record MlsMessage(int version, Body body) implements Encodable {
  /** mls10, the only version RFC 9420 defines. */
  public static final int MLS10 = 1;

  /** What an MLSMessage carries. */
  public sealed interface Body extends Encodable
      permits PublicMessage, PrivateMessage, Welcome, GroupInfo, KeyPackageBody {
    WireFormat wireFormat();
  }

  /** A KeyPackage as an MLSMessage body. */
  public record KeyPackageBody(KeyPackage keyPackage) implements Body {
    @Override
    public void encode(MlsWriter w) {
      keyPackage.encode(w);
    }

    @Override
    public WireFormat wireFormat() {
      return WireFormat.KEY_PACKAGE;
    }
  }

  /** Decodes one whole MLSMessage; anything malformed, unknown or left over is an error. */
  public static MlsMessage decode(byte[] input) throws MlsDecodeException {
    return MlsReader.decodeAll(input, "mls_message", MlsMessage::decode);
  }

  public static MlsMessage decode(MlsReader r) throws MlsDecodeException {
    int version = r.u16("version");
    if (version != MLS10) {
      throw r.errorAt("version", r.position() - 2, "protocol version " + version + " is not mls10 (1)");
    }
    int start = r.position();
    int code = r.u16("wire_format");
    WireFormat format = WireFormat.fromCode(code).orElseThrow(() ->
        r.errorAt("wire_format", start, "unknown wire format " + code));
    Body body = switch (format) {
      case PUBLIC_MESSAGE -> r.struct("public_message", PublicMessage::decode);
      case PRIVATE_MESSAGE -> r.struct("private_message", PrivateMessage::decode);
      case WELCOME -> r.struct("welcome", Welcome::decode);
      case GROUP_INFO -> r.struct("group_info", GroupInfo::decode);
      case KEY_PACKAGE -> new KeyPackageBody(r.struct("key_package", KeyPackage::decode));
    };
    return new MlsMessage(version, body);
  }

  public WireFormat wireFormat() {
    return body.wireFormat();
  }

  @Override
  public void encode(MlsWriter w) {
    w.u16(version).u16(body.wireFormat().code());
    body.encode(w);
  }
}
