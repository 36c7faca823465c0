package org.homeserver.platform.grpc.tls;

import java.security.GeneralSecurityException;
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
