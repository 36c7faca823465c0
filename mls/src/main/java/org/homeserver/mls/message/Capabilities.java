package org.homeserver.mls.message;

import java.util.List;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/** What a client supports (RFC 9420 section 7.2); values the codec does not know are kept. */
public record Capabilities(List<Integer> versions, List<Integer> cipherSuites, List<Integer> extensions,
                           List<Integer> proposals, List<Integer> credentials) implements Encodable {

  public static Capabilities decode(MlsReader r) throws MlsDecodeException {
    return new Capabilities(
        r.vector("versions", x -> x.u16("version")),
        r.vector("cipher_suites", x -> x.u16("cipher_suite")),
        r.vector("extensions", x -> x.u16("extension_type")),
        r.vector("proposals", x -> x.u16("proposal_type")),
        r.vector("credentials", x -> x.u16("credential_type")));
  }

  @Override
  public void encode(MlsWriter w) {
    MlsWriter.Encoder<Integer> u16 = (v, x) -> x.u16(v);
    w.vector(versions, u16).vector(cipherSuites, u16).vector(extensions, u16).vector(proposals, u16)
        .vector(credentials, u16);
  }
}
