package org.homeserver.platform.grpc.tls;

import java.nio.file.Path;
import org.homeserver.platform.config.ConfigSchema;
import org.homeserver.platform.config.HomeserverConfig.InternalTls;
import org.homeserver.platform.config.HomeserverConfig.Tls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the certificate and key files for a change and serves a changed pair that is usable; an
 * unusable one is logged as an error once and the pair served so far stays.
 */
final class CertificateReloads {
  private static final Logger log = LoggerFactory.getLogger(CertificateReloads.class);

  /** A port's certificate and key files, with the settings that name them (for messages). */
  record Files(String port, String certificateSetting, Path certificate, String keySetting, Path key) {
    static Files of(Tls tls) {
      return new Files("the public port", ConfigSchema.TLS_CERTIFICATE_FILE.key(), tls.certificateFile(),
          ConfigSchema.TLS_KEY_FILE.key(), tls.keyFile());
    }

    static Files of(InternalTls tls) {
      return new Files("the internal port", ConfigSchema.INTERNAL_TLS_CERTIFICATE_FILE.key(), tls.certificateFile(),
          ConfigSchema.INTERNAL_TLS_KEY_FILE.key(), tls.keyFile());
    }
  }

  private final Files files;
  private final ServedCertificate served;
  private PemFile seenCertificate;
  private PemFile seenKey;
  private String lastProblem;

  private CertificateReloads(Files files, PemFile certificate, PemFile key, ServedCertificate served) {
    this.files = files;
    this.seenCertificate = certificate;
    this.seenKey = key;
    this.served = served;
  }

  /** Reads the pair to serve first; refused, with the file and what is wrong, when it is not usable. */
  static CertificateReloads start(Tls files) throws UnusableCertificateException {
    return start(Files.of(files));
  }

  static CertificateReloads start(Files files) throws UnusableCertificateException {
    PemFile certificate = certificateFile(files);
    PemFile key = keyFile(files);
    ServedCertificate served = new ServedCertificate(CertificatePair.of(certificate, key));
    log.info("TLS on {}: serving {}", files.port(), served.current().describe());
    return new CertificateReloads(files, certificate, key, served);
  }

  /** The pair the files hold now, for a check of the configuration. */
  static CertificatePair read(Tls files) throws UnusableCertificateException {
    return read(Files.of(files));
  }

  static CertificatePair read(Files files) throws UnusableCertificateException {
    return CertificatePair.of(certificateFile(files), keyFile(files));
  }

  private static PemFile certificateFile(Files files) throws UnusableCertificateException {
    return PemFile.read(files.certificateSetting(), files.certificate());
  }

  private static PemFile keyFile(Files files) throws UnusableCertificateException {
    return PemFile.read(files.keySetting(), files.key());
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
      log.info("TLS on {}: the files changed; serving {} to new connections", files.port(),
          served.current().describe());
    } catch (UnusableCertificateException e) {
      refuse(e);
    }
  }

  private void refuse(UnusableCertificateException e) {
    // Each problem once: a broken file stays broken between checks, and one error says so.
    if (!e.getMessage().equals(lastProblem)) {
      lastProblem = e.getMessage();
      log.error("TLS on {}: the changed certificate files are not served: {}; still serving {}",
          files.port(), e.getMessage(), served.current().describe());
    }
  }
}
