package org.homeserver.mls.message;

import java.util.List;
import java.util.Optional;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/** What a Welcome encrypts for one new member (RFC 9420 section 12.4.3.1); clients decrypt it. */
public record GroupSecrets(byte[] joinerSecret, Optional<byte[]> pathSecret, List<PreSharedKeyId> psks)
    implements Encodable {

  public static GroupSecrets decode(MlsReader r) throws MlsDecodeException {
    return new GroupSecrets(r.opaque("joiner_secret"), r.optional("path_secret", x -> x.opaque("path_secret")),
        r.vector("psks", PreSharedKeyId::decode));
  }

  @Override
  public void encode(MlsWriter w) {
    w.opaque(joinerSecret).optional(pathSecret, (p, x) -> x.opaque(p)).vector(psks, PreSharedKeyId::encode);
  }
}
