package org.homeserver.mls.message;

import java.util.List;
import java.util.Optional;
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

  /**
   * Decodes one whole MLSMessage; anything malformed, unknown or left over is an error. Input that
   * is a KeyPackage, Welcome or GroupInfo sent without its MLSMessage is named as such.
   */
  public static MlsMessage decode(byte[] input) throws MlsDecodeException {
    try {
      return MlsReader.decodeAll(input, "mls_message", MlsMessage::decode);
    } catch (MlsDecodeException e) {
      throw unwrapped(input).orElse(e);
    }
  }

  /** A structure an MLSMessage carries, and how it is decoded alone. */
  private record Carried(WireFormat format, String name, String field, MlsReader.Decoder<?> decoder) {}

  private static final List<Carried> CARRIED = List.of(
      new Carried(WireFormat.KEY_PACKAGE, "KeyPackage", "key_package", KeyPackage::decode),
      new Carried(WireFormat.WELCOME, "Welcome", "welcome", Welcome::decode),
      new Carried(WireFormat.GROUP_INFO, "GroupInfo", "group_info", GroupInfo::decode));

  /**
   * The error for input that did not decode as an MLSMessage because it is one of the structures an
   * MLSMessage carries, sent bare. Its first bytes were read as a version and a wire format they are
   * not (a KeyPackage starts with its version and cipher suite), so the error found inside the
   * wrong body would only mislead.
   */
  private static Optional<MlsDecodeException> unwrapped(byte[] input) {
    for (Carried carried : CARRIED) {
      try {
        MlsReader.decodeAll(input, carried.field(), carried.decoder());
      } catch (MlsDecodeException notThis) {
        continue;
      }
      int read = (input[2] & 0xff) << 8 | input[3] & 0xff;
      return Optional.of(new MlsDecodeException("mls_message.wire_format", 2, "is " + read + " ("
          + WireFormat.fromCode(read).map(WireFormat::rfcName).orElse("no wire format") + "): these bytes are a bare "
          + carried.name() + ", not an MLSMessage; send it as MLSMessage{version = mls10 (" + MLS10 + "), wire_format = "
          + carried.format().rfcName() + " (" + carried.format().code() + "), " + carried.field() + "}"));
    }
    return Optional.empty();
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
