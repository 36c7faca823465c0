package org.homeserver.platform.grpc.tls;

import java.security.GeneralSecurityException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/** A certificate chain (leaf first) and the leaf's private key, checked to belong together. */
public record CertificatePair(List<X509Certificate> chain, PrivateKey key) {
  public CertificatePair {
    chain = List.copyOf(chain);
  }

  /**
   * The pair in the PEM files of these two settings, as they are now; refused, naming the setting
   * and the file, when either cannot be read or parsed or the key is not the leaf's.
   */
  public static CertificatePair read(String certificateSetting, Path certificateFile, String keySetting,
                                     Path keyFile) throws UnusableCertificateException {
    return of(PemFile.read(certificateSetting, certificateFile), PemFile.read(keySetting, keyFile));
  }

  /** Every certificate in the PEM file of {@code setting}, in file order; refused if there is none. */
  public static List<X509Certificate> certificates(String setting, Path file) throws UnusableCertificateException {
    return PemFile.read(setting, file).certificates();
  }

  /** The pair in these two files; refused when either does not parse or the key is not the leaf's. */
  static CertificatePair of(PemFile certificateFile, PemFile keyFile) throws UnusableCertificateException {
    List<X509Certificate> chain = certificateFile.certificates();
    PrivateKey key = keyFile.privateKey();
    Optional<String> mismatch = mismatch(key, chain.getFirst().getPublicKey());
    if (mismatch.isPresent()) {
      throw keyFile.problem(mismatch.get() + " (the first one in " + certificateFile.path() + ")");
    }
    return new CertificatePair(chain, key);
  }

  public X509Certificate leaf() {
    return chain.getFirst();
  }

  /** The leaf as an operator finds it in a log: subject, serial and end of validity. */
  public String describe() {
    return "\"" + leaf().getSubjectX500Principal() + "\" serial " + leaf().getSerialNumber().toString(16)
        + " valid until " + leaf().getNotAfter().toInstant();
  }

  /**
   * Why {@code key} is not the private half of {@code publicKey}, if it is not. A signature made
   * with the key must verify with the certificate's public key: one check for every key type,
   * where comparing key parameters would need one per type.
   */
  private static Optional<String> mismatch(PrivateKey key, PublicKey publicKey) {
    String algorithm = switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
      default -> null;
    };
    if (algorithm == null) {
      return Optional.of("holds a " + key.getAlgorithm() + " key; supported are EC, RSA, Ed25519 and Ed448 keys "
          + "matching the certificate");
    }
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(probe);
      if (verifier.verify(signature)) {
        return Optional.empty();
      }
    } catch (GeneralSecurityException e) {
      // A key of another type than the certificate's lands here: it does not match either.
    }
    return Optional.of("holds a key that is not the private key of the certificate");
  }
}
