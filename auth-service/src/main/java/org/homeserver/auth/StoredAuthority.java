package org.homeserver.auth;

/**
 * The AS as the service keeps it in its database: DER certificates and PKCS#8 private keys of the
 * root and intermediate CAs. The private keys are secrets; keep the row where secrets belong.
 */
public record StoredAuthority(byte[] rootCertificate, byte[] rootPrivateKeyPkcs8, byte[] intermediateCertificate,
                              byte[] intermediatePrivateKeyPkcs8) {
  @Override
  public String toString() {
    return "StoredAuthority[root " + rootCertificate.length + " bytes, intermediate "
        + intermediateCertificate.length + " bytes, private keys hidden]";
  }
}
