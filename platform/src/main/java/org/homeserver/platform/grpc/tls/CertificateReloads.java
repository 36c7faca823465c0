package org.homeserver.platform.grpc.tls;

import org.homeserver.platform.config.ConfigSchema;
import org.homeserver.platform.config.HomeserverConfig.Tls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the certificate and key files for a change and serves a changed pair that is usable; an
 * unusable one is logged as an error once and the pair served so far stays.
 */
final class CertificateReloads {
  private static final Logger log = LoggerFactory.getLogger(CertificateReloads.class);

  private final Tls files;
  private final ServedCertificate served;
  private PemFile seenCertificate;
  private PemFile seenKey;
  private String lastProblem;

  private CertificateReloads(Tls files, PemFile certificate, PemFile key, ServedCertificate served) {
    this.files = files;
    this.seenCertificate = certificate;
    this.seenKey = key;
    this.served = served;
  }

  /** Reads the pair to serve first; refused, with the file and what is wrong, when it is not usable. */
  static CertificateReloads start(Tls files) throws UnusableCertificateException {
    PemFile certificate = certificateFile(files);
    PemFile key = keyFile(files);
    ServedCertificate served = new ServedCertificate(CertificatePair.of(certificate, key));
    log.info("TLS on the public port: serving {}", served.current().describe());
    return new CertificateReloads(files, certificate, key, served);
  }

  /** The pair the files hold now, for a check of the configuration. */
  static CertificatePair read(Tls files) throws UnusableCertificateException {
    return CertificatePair.of(certificateFile(files), keyFile(files));
  }

  private static PemFile certificateFile(Tls files) throws UnusableCertificateException {
    return PemFile.read(ConfigSchema.TLS_CERTIFICATE_FILE.key(), files.certificateFile());
  }

  private static PemFile keyFile(Tls files) throws UnusableCertificateException {
    return PemFile.read(ConfigSchema.TLS_KEY_FILE.key(), files.keyFile());
  }

  ServedCertificate served() {
    return served;
  }

  /** One check; run periodically, never concurrently with itself. */
  void check() {
    PemFile certificate;
    PemFile key;
    try {
      certificate = certificateFile(files);
      key = keyFile(files);
    } catch (UnusableCertificateException e) {
      refuse(e);
      return;
    }
    if (certificate.unchanged(seenCertificate) && key.unchanged(seenKey)) {
      return;
    }
    seenCertificate = certificate;
    seenKey = key;
    try {
      served.serve(CertificatePair.of(certificate, key));
      lastProblem = null;
      log.info("TLS on the public port: the files changed; serving {} to new connections", served.current().describe());
    } catch (UnusableCertificateException e) {
      refuse(e);
    }
  }

  private void refuse(UnusableCertificateException e) {
    // Each problem once: a broken file stays broken between checks, and one error says so.
    if (!e.getMessage().equals(lastProblem)) {
      lastProblem = e.getMessage();
      log.error("TLS on the public port: the changed certificate files are not served: {}; still serving {}",
          e.getMessage(), served.current().describe());
    }
  }
}
