package org.homeserver.platform.grpc.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;
import org.homeserver.platform.config.HomeserverConfig.Tls;
import org.homeserver.platform.testing.TestCertificateAuthority;
import org.homeserver.platform.testing.TestCertificateAuthority.Issued;
import org.homeserver.platform.testing.TestCertificateAuthority.KeyFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reading the public port's certificate chain and key from PEM files, and what is refused. */
class CertificatePairTest {
  private static final TestCertificateAuthority CA = TestCertificateAuthority.create("Test CA");
  // prime256v1 as openssl ecparam -genkey writes it before a traditional EC key.
  private static final String EC_PARAMETERS = """
      -----BEGIN EC PARAMETERS-----
      BggqhkjOPQMBBw==
      -----END EC PARAMETERS-----
      """;

  @TempDir
  Path dir;

  private Path certificateFile() {
    return dir.resolve("fullchain.pem");
  }

  private Path keyFile() {
    return dir.resolve("privkey.pem");
  }

  private CertificatePair read() throws UnusableCertificateException {
    return CertificateReloads.read(new Tls(certificateFile(), keyFile(), Duration.ofSeconds(10)));
  }

  @ParameterizedTest
  @CsvSource({"EC, PKCS8, PRIVATE KEY", "EC, TRADITIONAL, EC PRIVATE KEY", "RSA, PKCS8, PRIVATE KEY",
      "RSA, TRADITIONAL, RSA PRIVATE KEY"})
  void keysOfEveryAcceptedFormatAreReadWithTheChainLeafFirst(String algorithm, KeyFormat format, String pemType)
      throws Exception {
    Issued issued = CA.issue("homeserver", TestCertificateAuthority.keyPair(algorithm));
    issued.writeChain(certificateFile());
    issued.writeKey(keyFile(), format);
    assertTrue(Files.readString(keyFile()).startsWith("-----BEGIN " + pemType + "-----"), Files.readString(keyFile()));

    CertificatePair pair = read();

    assertEquals(List.of(issued.certificate(), CA.certificate()), pair.chain());
    assertEquals(algorithm, pair.key().getAlgorithm());
  }

  @Test
  void aTraditionalEcKeyAfterItsParametersIsRead() throws Exception {
    Issued issued = CA.issue("homeserver");
    issued.writeChain(certificateFile());
    issued.writeKey(keyFile(), KeyFormat.TRADITIONAL);
    Files.writeString(keyFile(), EC_PARAMETERS + Files.readString(keyFile()));

    assertEquals(issued.certificate(), read().leaf());
  }

  @Test
  void aKeyOfAnotherCertificateIsRefusedNamingBothFiles() {
    CA.issue("homeserver").writeChain(certificateFile());
    CA.issue("another").writeKey(keyFile(), KeyFormat.PKCS8);

    UnusableCertificateException e = assertThrows(UnusableCertificateException.class, this::read);

    assertEquals("server.tls.key-file: " + keyFile() + ": holds a key that is not the private key of the certificate "
        + "(the first one in " + certificateFile() + ")", e.getMessage());
  }

  @Test
  void aKeyOfAnotherTypeThanTheCertificatesIsRefused() {
    CA.issue("homeserver").writeChain(certificateFile());
    CA.issue("rsa", TestCertificateAuthority.keyPair("RSA")).writeKey(keyFile(), KeyFormat.PKCS8);

    UnusableCertificateException e = assertThrows(UnusableCertificateException.class, this::read);

    assertTrue(e.getMessage().contains("holds a key that is not the private key of the certificate"), e.getMessage());
  }

  @Test
  void filesWithoutTheirCertificateOrKeyAreRefusedSayingWhatWasExpected() throws Exception {
    Issued issued = CA.issue("homeserver");
    issued.writeKey(certificateFile(), KeyFormat.PKCS8);
    issued.writeKey(keyFile(), KeyFormat.PKCS8);
    assertEquals("server.tls.certificate-file: " + certificateFile()
        + ": holds no certificate (expected PEM blocks BEGIN CERTIFICATE, leaf first)",
        assertThrows(UnusableCertificateException.class, this::read).getMessage());

    issued.writeChain(certificateFile());
    issued.writeChain(keyFile());
    assertEquals("server.tls.key-file: " + keyFile()
        + ": holds no private key (expected BEGIN PRIVATE KEY, BEGIN EC PRIVATE KEY or BEGIN RSA PRIVATE KEY)",
        assertThrows(UnusableCertificateException.class, this::read).getMessage());
  }

  @Test
  void aDamagedPemFileIsRefusedAsNotValidPem() throws Exception {
    Issued issued = CA.issue("homeserver");
    issued.writeChain(certificateFile());
    issued.writeKey(keyFile(), KeyFormat.PKCS8);
    String pem = Files.readString(certificateFile());
    Files.writeString(certificateFile(), pem.replaceFirst("\n[A-Za-z0-9+/]{20}", "\n!!!!"));

    String message = assertThrows(UnusableCertificateException.class, this::read).getMessage();

    assertTrue(message.startsWith("server.tls.certificate-file: " + certificateFile() + ": is not valid PEM: "), message);
  }

  @Test
  void anEncryptedKeyIsRefusedAskingForAnUnencryptedOne() throws Exception {
    Issued issued = CA.issue("homeserver");
    issued.writeChain(certificateFile());
    // Only the structure matters: the key is refused before any decryption would be tried.
    byte[] encrypted = new EncryptedPrivateKeyInfo(new AlgorithmIdentifier(PKCSObjectIdentifiers.id_PBES2),
        new byte[48]).getEncoded();
    try (JcaPEMWriter pem = new JcaPEMWriter(Files.newBufferedWriter(keyFile()))) {
      pem.writeObject(new PemObject("ENCRYPTED PRIVATE KEY", encrypted));
    }
    String pkcs8 = assertThrows(UnusableCertificateException.class, this::read).getMessage();

    Files.writeString(keyFile(), """
        -----BEGIN EC PRIVATE KEY-----
        Proc-Type: 4,ENCRYPTED
        DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF

        AAECAwQFBgcICQoLDA0ODw==
        -----END EC PRIVATE KEY-----
        """);
    String traditional = assertThrows(UnusableCertificateException.class, this::read).getMessage();

    String expected = "server.tls.key-file: " + keyFile()
        + ": the private key is encrypted; write it unencrypted, readable only by the homeserver's user";
    assertEquals(List.of(expected, expected), List.of(pkcs8, traditional));
  }

  @Test
  void aMissingFileIsRefusedAsNotExisting() {
    CA.issue("homeserver").writeChain(certificateFile());

    assertEquals("server.tls.key-file: " + keyFile() + ": does not exist",
        assertThrows(UnusableCertificateException.class, this::read).getMessage());
  }
}
