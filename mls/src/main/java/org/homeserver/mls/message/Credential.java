package org.homeserver.mls.message;

import java.util.List;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/**
 * A credential (RFC 9420 section 5.3): basic, x509, or another type whose body is carried as an
 * {@code opaque<V>} (as RFC 9420 implementations encode types beyond the two it defines).
 */
public sealed interface Credential extends Encodable {
  int BASIC = 1;
  int X509 = 2;

  int type();

  record Basic(byte[] identity) implements Credential {
    @Override
    public int type() {
      return BASIC;
    }

    @Override
    public void encode(MlsWriter w) {
      w.u16(BASIC).opaque(identity);
    }
  }

  /** The certificate chain, leaf first, each DER. */
  record X509(List<byte[]> certificates) implements Credential {
    @Override
    public int type() {
      return X509;
    }

    @Override
    public void encode(MlsWriter w) {
      w.u16(X509).vector(certificates, (c, x) -> x.opaque(c));
    }
  }

  record Unknown(int type, byte[] body) implements Credential {
    @Override
    public void encode(MlsWriter w) {
      w.u16(type).opaque(body);
    }
  }

  static Credential decode(MlsReader r) throws MlsDecodeException {
    int type = r.u16("credential_type");
    return switch (type) {
      case BASIC -> new Basic(r.opaque("identity"));
      case X509 -> new X509(r.vector("certificates", c -> c.opaque("cert_data")));
      default -> new Unknown(type, r.opaque("credential_data"));
    };
  }
}
