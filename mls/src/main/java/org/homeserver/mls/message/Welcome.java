package org.homeserver.mls.message;

import java.util.List;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/**
 * A Welcome (RFC 9420 section 12.4.3.1): for each new member, its KeyPackageRef and its encrypted
 * group secrets; then the encrypted GroupInfo. The server routes it by the refs.
 */
public record Welcome(int cipherSuite, List<EncryptedGroupSecrets> secrets, byte[] encryptedGroupInfo)
    implements Encodable, MlsMessage.Body {

  /** One new member's share: which KeyPackage it was added with, and its secrets. */
  public record EncryptedGroupSecrets(byte[] newMember, HpkeCiphertext encryptedGroupSecrets) {}

  public static Welcome decode(MlsReader r) throws MlsDecodeException {
    return new Welcome(r.u16("cipher_suite"),
        r.vector("secrets", x -> new EncryptedGroupSecrets(x.opaque("new_member"),
            x.struct("encrypted_group_secrets", HpkeCiphertext::decode))),
        r.opaque("encrypted_group_info"));
  }

  @Override
  public void encode(MlsWriter w) {
    w.u16(cipherSuite).vector(secrets, (s, x) -> {
      x.opaque(s.newMember());
      s.encryptedGroupSecrets().encode(x);
    }).opaque(encryptedGroupInfo);
  }

  @Override
  public WireFormat wireFormat() {
    return WireFormat.WELCOME;
  }
}
