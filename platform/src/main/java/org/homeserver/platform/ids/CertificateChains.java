package org.homeserver.platform.ids;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** The x509 side of MLS credentials: parsing certificates, PKIX up to an AS's roots, the key a certificate is for. */
public final class CertificateChains {
  private CertificateChains() {}

  /** The certificate {@code der} encodes, if it parses. */
  public static Optional<X509Certificate> parse(byte[] der) {
    try {
      return Optional.of((X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der)));
    } catch (CertificateException | ClassCastException e) {
      return Optional.empty();
    }
  }

  /**
   * Checks that {@code chain} (leaf first, the root itself optional at the end) is valid at {@code at}
   * up to one of {@code anchors}, by PKIX without revocation.
   */
  public static void verify(List<X509Certificate> chain, List<X509Certificate> anchors, Instant at)
      throws CertPathValidatorException {
    List<X509Certificate> path = new ArrayList<>(chain);
    while (path.size() > 1 && anchors.contains(path.getLast())) {
      path.removeLast();
    }
    try {
      PKIXParameters parameters = new PKIXParameters(anchors.stream().map(root -> new TrustAnchor(root, null))
          .collect(Collectors.toSet()));
      parameters.setRevocationEnabled(false);
      parameters.setDate(Date.from(at));
      CertPathValidator.getInstance("PKIX").validate(
          CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
    } catch (CertPathValidatorException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the PKIX validator is not available", e);
    }
  }

  /**
   * Whether the certificate is for {@code key}: the SubjectPublicKeyInfo of an Ed25519 or P-256 key
   * ends with the key's MLS encoding (the raw point), in a BIT STRING that closes it.
   */
  public static boolean certifies(X509Certificate certificate, byte[] key) {
    byte[] info = certificate.getPublicKey().getEncoded();
    return info.length > key.length
        && MessageDigest.isEqual(Arrays.copyOfRange(info, info.length - key.length, info.length), key);
  }
}
