package org.homeserver.mls.message;

import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/** An HPKE ciphertext (RFC 9420 section 7.6); opaque to the server. */
public record HpkeCiphertext(byte[] kemOutput, byte[] ciphertext) implements Encodable {
  public static HpkeCiphertext decode(MlsReader r) throws MlsDecodeException {
    return new HpkeCiphertext(r.opaque("kem_output"), r.opaque("ciphertext"));
  }

  @Override
  public void encode(MlsWriter w) {
    w.opaque(kemOutput).opaque(ciphertext);
  }
}
