package org.homeserver.mls.message;

import org.homeserver.mls.codec.MlsWriter;

/** A structure with one exact wire encoding. */
public interface Encodable {
  void encode(MlsWriter writer);

  /** The structure's bytes, exactly as it was received if it was decoded. */
  default byte[] toBytes() {
    MlsWriter writer = new MlsWriter();
    encode(writer);
    return writer.toByteArray();
  }
}
