package org.homeserver.auth;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.bc.BcX509ExtensionUtils;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A CA of the AS as a signer of certificates: its name and P-256 key, named by SKI/AKI in what it signs. */
record Issuer(X500Name name, SubjectPublicKeyInfo publicKey, PrivateKey privateKey) {
  private static final int SERIAL_BYTES = 16;

  /** The CA whose certificate is {@code certificate}, its name copied byte for byte into what it signs. */
  static Issuer of(X509Certificate certificate, PrivateKey privateKey) {
    return new Issuer(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
        SubjectPublicKeyInfo.getInstance(certificate.getPublicKey().getEncoded()), privateKey);
  }

  /** A certificate for {@code subjectKey}, signed SHA256withECDSA, with SKI, AKI and {@code extensions}. */
  X509Certificate sign(X500Name subject, SubjectPublicKeyInfo subjectKey, Instant notBefore, Instant notAfter,
                       SecureRandom random, List<CertificateExtension> extensions) {
    var keyIds = new BcX509ExtensionUtils();
    var builder = new X509v3CertificateBuilder(name, serial(random), Date.from(notBefore), Date.from(notAfter),
        subject, subjectKey);
    try {
      builder.addExtension(Extension.subjectKeyIdentifier, false, keyIds.createSubjectKeyIdentifier(subjectKey));
      builder.addExtension(Extension.authorityKeyIdentifier, false, keyIds.createAuthorityKeyIdentifier(publicKey));
      for (CertificateExtension extension : extensions) {
        builder.addExtension(extension.id(), extension.critical(), extension.value());
      }
      // No provider named: the JDK's own ECDSA signs, so no Bouncy Castle provider is ever installed.
      byte[] der = builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(privateKey)).getEncoded();
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der));
    } catch (IOException | OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException("signing a certificate in memory failed", e);
    }
  }

  /** 16 random bytes, top bits 01: positive, and always exactly 16 bytes in DER. */
  private static BigInteger serial(SecureRandom random) {
    byte[] bytes = new byte[SERIAL_BYTES];
    random.nextBytes(bytes);
    bytes[0] = (byte) ((bytes[0] & 0x3f) | 0x40);
    return new BigInteger(1, bytes);
  }
}
