package org.homeserver.mls.describe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.Extension;
import org.junit.jupiter.api.Test;

/** Credentials and extensions as a client developer reads them. */
class CredentialDescriptionTest {
  /**
   * A self-signed P-256 certificate (made with keytool): subject and issuer "CN=Alice Zoë,O=Example",
   * valid until 2034-12-30T11:39:19Z, SubjectAlternativeName URI mimi://example.org/u/alice and DNS
   * alice.example.org.
   */
  private static final byte[] CERTIFICATE = Base64.getDecoder().decode("""
      MIIBnzCCAUWgAwIBAgIIdv8Qs6uJuMUwCgYIKoZIzj0EAwMwJzEQMA4GA1UEChMHRXhhbXBsZTETMBEGA1UEAwwKQWxpY2UgWm/DqzAeFw0y\
      NTAxMDExMTM5MTlaFw0zNDEyMzAxMTM5MTlaMCcxEDAOBgNVBAoTB0V4YW1wbGUxEzARBgNVBAMMCkFsaWNlIFpvw6swWTATBgcqhkjOPQIB\
      BggqhkjOPQMBBwNCAATAqSB8KeXG5LqPBDjEgAXhNAqTX2TXQ1SJtfHExbMh6hddFtDILhrVmLr8ha0n0E3EjWgLcCTEylovg4eps80eo1sw\
      WTAdBgNVHQ4EFgQU/cttGeOLm0RFCEHfQi/6KtkMI1MwOAYDVR0RBDEwL4YabWltaTovL2V4YW1wbGUub3JnL3UvYWxpY2WCEWFsaWNlLmV4\
      YW1wbGUub3JnMAoGCCqGSM49BAMDA0gAMEUCIQCDXhMh+qudM8cR1SQXA3Grl/+ws8vJwR16c6kAJMHFwwIgRI1aeWAeZC04N4u7ffritr9U\
      xCeyA06XU9bqIY2Y+fE=""");

  @Test
  void basicIdentityIsTextWhenPrintableUtf8() {
    assertEquals(Map.of("type", "basic", "identity", "Zoë 👩 alice@example.org"), CredentialDescription.of(
        new Credential.Basic("Zoë 👩 alice@example.org".getBytes(StandardCharsets.UTF_8))));
    assertEquals(Map.of("type", "basic", "identity", ""), CredentialDescription.of(new Credential.Basic(new byte[0])));
  }

  @Test
  void basicIdentityIsHexWhenNotValidUtf8OrNotPrintable() {
    assertEquals(Map.of("type", "basic", "identity_hex", "00ff"),
        CredentialDescription.of(new Credential.Basic(new byte[] {0, (byte) 0xff})));
    assertEquals(Map.of("type", "basic", "identity_hex", "610a62"),
        CredentialDescription.of(new Credential.Basic("a\nb".getBytes(StandardCharsets.UTF_8))));
    assertEquals(Map.of("type", "basic", "identity_hex", "e280ae"),
        CredentialDescription.of(new Credential.Basic("\u202e".getBytes(StandardCharsets.UTF_8))));
    // An encoded surrogate (CESU-style) is not UTF-8.
    assertEquals(Map.of("type", "basic", "identity_hex", "eda080"),
        CredentialDescription.of(new Credential.Basic(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80})));
  }

  @Test
  void x509CertificatesShowSubjectIssuerExpiryAndSanUris() {
    assertEquals(Map.of("type", "x509", "certificates", List.of(Map.of(
        "subject", "CN=Alice Zoë,O=Example",
        "issuer", "CN=Alice Zoë,O=Example",
        "not_after", "2034-12-30T11:39:19Z",
        "san_uris", List.of("mimi://example.org/u/alice")))),
        CredentialDescription.of(new Credential.X509(List.of(CERTIFICATE))));
  }

  @Test
  void certificateThatDoesNotParseIsReportedNotFatal() {
    Map<String, Object> described = CredentialDescription.of(new Credential.X509(List.of(new byte[] {0x30, 0x03, 1})));
    Map<String, Object> certificate = MessageDescriptionTest.map(MessageDescriptionTest.list(
        described.get("certificates")).getFirst());
    assertEquals(3, certificate.get("der_length"));
    assertTrue(certificate.get("parse_error") instanceof String);
  }

  @Test
  void unknownCredentialTypeIsShownByNumberWithItsDataLength() {
    assertEquals(Map.of("type", 0xf000, "data_length", 4),
        CredentialDescription.of(new Credential.Unknown(0xf000, new byte[4])));
  }

  @Test
  void unknownExtensionIsShownByNumberWithItsDataLength() {
    assertEquals(List.of(Map.of("type", 0x0a0a, "data_length", 2), Map.of("type", "last_resort")),
        ExtensionDescription.of(List.of(new Extension(0x0a0a, new byte[2]),
            new Extension(Extension.LAST_RESORT, new byte[0]))));
  }
}
