package org.homeserver.platform.grpc.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.homeserver.platform.config.HomeserverConfig.Tls;
import org.homeserver.platform.testing.CapturedLogs;
import org.homeserver.platform.testing.TestCertificateAuthority;
import org.homeserver.platform.testing.TestCertificateAuthority.Issued;
import org.homeserver.platform.testing.TestCertificateAuthority.KeyFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checks of the certificate files, driven one at a time: what a new handshake is served after each. */
class CertificateReloadsTest {
  private static final TestCertificateAuthority CA = TestCertificateAuthority.create("Test CA");

  @TempDir
  Path dir;
  private Issued first;
  private CertificateReloads reloads;

  @BeforeEach
  void serveAFirstPair() throws Exception {
    first = CA.issue("first");
    write(first);
    reloads = CertificateReloads.start(new Tls(certificateFile(), keyFile(), Duration.ofSeconds(10)));
  }

  private Path certificateFile() {
    return dir.resolve("fullchain.pem");
  }

  private Path keyFile() {
    return dir.resolve("privkey.pem");
  }

  private void write(Issued issued) {
    issued.writeChain(certificateFile());
    issued.writeKey(keyFile(), KeyFormat.PKCS8);
  }

  /** The leaf a new handshake gets, asked the way a TLS stack asks. */
  private X509Certificate servedLeaf() {
    ServedCertificate served = reloads.served();
    return served.getCertificateChain(served.chooseEngineServerAlias("EC", null, null))[0];
  }

  @Test
  void aReplacedPairIsServedAfterTheNextCheck() {
    Issued renewed = CA.issue("renewed");
    write(renewed);
    assertEquals(first.certificate(), servedLeaf(), "nothing changes before a check");

    reloads.check();

    assertEquals(renewed.certificate(), servedLeaf());
    assertEquals(renewed.keys().getPrivate(), reloads.served().getPrivateKey(
        reloads.served().chooseEngineServerAlias("EC", null, null)));
  }

  @Test
  void aBrokenFileKeepsTheServedPairAndIsLoggedOnceNamingTheFile() throws Exception {
    try (CapturedLogs logs = CapturedLogs.of(CertificateReloads.class)) {
      Files.writeString(certificateFile(), "-----BEGIN CERTIFICATE-----\nnot base64 at all\n");

      reloads.check();
      reloads.check();

      assertEquals(first.certificate(), servedLeaf());
      List<String> errors = logs.at(Level.ERROR);
      assertEquals(1, errors.size(), errors.toString());
      assertTrue(errors.getFirst().contains("server.tls.certificate-file: " + certificateFile() + ": "), errors.getFirst());
      assertTrue(errors.getFirst().contains("still serving \"CN=first\""), errors.getFirst());
    }
    Issued fixed = CA.issue("fixed");
    write(fixed);
    reloads.check();
    assertEquals(fixed.certificate(), servedLeaf(), "the check after a refused pair still reloads");
  }

  @Test
  void aRenewalSeenHalfWrittenIsServedOnceBothFilesAreNew() {
    Issued renewed = CA.issue("renewed");
    renewed.writeChain(certificateFile());

    reloads.check();
    assertEquals(first.certificate(), servedLeaf(), "the new certificate with the old key is refused");

    renewed.writeKey(keyFile(), KeyFormat.PKCS8);
    reloads.check();
    assertEquals(renewed.certificate(), servedLeaf());
  }

  @Test
  void aHandshakeThatChoseItsPairBeforeASwapStillGetsThatPair() {
    ServedCertificate served = reloads.served();
    String chosen = served.chooseEngineServerAlias("EC", null, null);
    Issued renewed = CA.issue("renewed");
    write(renewed);

    reloads.check();

    assertNotEquals(chosen, served.chooseEngineServerAlias("EC", null, null));
    assertArrayEquals(new X509Certificate[] {first.certificate(), CA.certificate()}, served.getCertificateChain(chosen));
    assertEquals(first.keys().getPrivate(), served.getPrivateKey(chosen));
  }
}
