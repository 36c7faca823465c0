package org.homeserver.auth;

/**
 * The AS's certificates (DER) and private keys (PKCS#8) of the root and intermediate CAs, as
 * {@link PrivateKeyStore} reads and writes them; the database holds the private keys sealed.
 */
public record StoredAuthority(byte[] rootCertificate, byte[] rootPrivateKeyPkcs8, byte[] intermediateCertificate,
                              byte[] intermediatePrivateKeyPkcs8) {
  @Override
  public String toString() {
    return "StoredAuthority[root " + rootCertificate.length + " bytes, intermediate "
        + intermediateCertificate.length + " bytes, private keys hidden]";
  }
}
