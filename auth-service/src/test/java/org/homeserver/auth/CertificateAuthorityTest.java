package org.homeserver.auth;

import static org.homeserver.api.common.v1.SignatureScheme.ECDSA_SECP256R1_SHA256;
import static org.homeserver.api.common.v1.SignatureScheme.ED25519;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.ids.CredentialParseException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CertificateAuthorityTest {
  private static final Instant NOW = Instant.parse("2026-05-01T12:00:00.250Z");
  private static final Instant NOW_SECONDS = Instant.parse("2026-05-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final ClientIdentity ALICE =
      new ClientIdentity("example.org", "alice", UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e"));

  private final CertificateAuthority authority = CertificateAuthority.generate("example.org", CLOCK);

  @ParameterizedTest
  @EnumSource(value = SignatureScheme.class, names = {"ED25519", "ECDSA_SECP256R1_SHA256"})
  void issuedChainValidatesAgainstTheRootWithTheJdksOwnPkix(SignatureScheme scheme) throws Exception {
    IssuedCredential credential = issue(authority, TestSigningKey.generate(scheme).signatureKey());

    validate(credential, authority.rootCertificate(), NOW.plus(Duration.ofDays(1)));

    assertEquals("SUN", CertPathValidator.getInstance("PKIX").getProvider().getName());
    assertNull(Security.getProvider("BC"), "no Bouncy Castle provider is installed");
  }

  @Test
  void chainDoesNotValidateAgainstAnotherAuthoritysRoot() {
    IssuedCredential credential = issue(authority, TestSigningKey.generate(ED25519).signatureKey());
    var other = CertificateAuthority.generate("example.org", CLOCK);

    assertThrows(CertPathValidatorException.class,
        () -> validate(credential, other.rootCertificate(), NOW.plus(Duration.ofDays(1))));
  }

  @Test
  void chainDoesNotValidateOnceTheClientCertificateExpired() {
    IssuedCredential credential = issue(authority, TestSigningKey.generate(ED25519).signatureKey());

    assertThrows(CertPathValidatorException.class,
        () -> validate(credential, authority.rootCertificate(), credential.notAfter().plusSeconds(1)));
  }

  @Test
  void clientCertificateNamesTheClientIdThenTheUserId() throws Exception {
    X509Certificate leaf = leaf(issue(authority, TestSigningKey.generate(ED25519).signatureKey()));

    assertEquals(List.of(List.of(6, ALICE.clientId()), List.of(6, ALICE.userId())),
        List.copyOf(leaf.getSubjectAlternativeNames()));
    assertEquals(ALICE, ClientIdentity.identify(leaf, "example.org"));
    assertEquals("CN=alice,O=example.org", leaf.getSubjectX500Principal().getName());
  }

  @ParameterizedTest
  @EnumSource(value = SignatureScheme.class, names = {"ED25519", "ECDSA_SECP256R1_SHA256"})
  void clientCertificateCarriesTheClientsKeyForClientAuthenticationOnly(SignatureScheme scheme) throws Exception {
    SignatureKey key = TestSigningKey.generate(scheme).signatureKey();
    X509Certificate leaf = leaf(issue(authority, key));
    X509Certificate intermediate = certificate(authority.intermediateCertificate());

    assertArrayEquals(key.toPublicKey().getEncoded(), leaf.getPublicKey().getEncoded());
    assertEquals(-1, leaf.getBasicConstraints());
    assertEquals(Set.of("2.5.29.19", "2.5.29.15"), leaf.getCriticalExtensionOIDs());
    assertArrayEquals(new boolean[] {true, false, false, false, false, false, false, false, false},
        leaf.getKeyUsage());
    assertEquals(List.of("1.3.6.1.5.5.7.3.2"), leaf.getExtendedKeyUsage());
    assertEquals("SHA256withECDSA", leaf.getSigAlgName());
    assertEquals(intermediate.getSubjectX500Principal(), leaf.getIssuerX500Principal());
    assertEquals(1, leaf.getSerialNumber().signum());
    assertEquals(16, leaf.getSerialNumber().toByteArray().length);
    assertArrayEquals(subjectKeyId(intermediate), authorityKeyId(leaf));
    assertEquals(20, subjectKeyId(leaf).length);
  }

  @Test
  void rootAndIntermediateAreCasOfTheDomain() throws Exception {
    X509Certificate root = certificate(authority.rootCertificate());
    X509Certificate intermediate = certificate(authority.intermediateCertificate());

    assertEquals("CN=example.org AS root,O=example.org", root.getSubjectX500Principal().getName());
    assertEquals(root.getSubjectX500Principal(), root.getIssuerX500Principal());
    assertEquals("CN=example.org AS intermediate,O=example.org", intermediate.getSubjectX500Principal().getName());
    assertEquals(Integer.MAX_VALUE, root.getBasicConstraints());
    assertEquals(0, intermediate.getBasicConstraints());
    for (X509Certificate ca : List.of(root, intermediate)) {
      assertArrayEquals(new boolean[] {false, false, false, false, false, true, true, false, false}, ca.getKeyUsage());
      assertEquals(Set.of("2.5.29.19", "2.5.29.15"), ca.getCriticalExtensionOIDs());
      assertEquals(NOW_SECONDS, ca.getNotBefore().toInstant());
    }
    assertEquals(Instant.parse("2046-05-01T12:00:00Z"), root.getNotAfter().toInstant());
    assertEquals(Instant.parse("2036-05-01T12:00:00Z"), intermediate.getNotAfter().toInstant());
    assertArrayEquals(subjectKeyId(root), authorityKeyId(root));
    assertArrayEquals(subjectKeyId(root), authorityKeyId(intermediate));
    root.verify(root.getPublicKey());
    intermediate.verify(root.getPublicKey());
  }

  @Test
  void authorityRestoredFromStorageIssuesUnderTheSameRoot() throws Exception {
    StoredAuthority stored = authority.stored();

    var restored = CertificateAuthority.restore(stored);
    IssuedCredential credential = issue(restored, TestSigningKey.generate(ECDSA_SECP256R1_SHA256).signatureKey());

    assertArrayEquals(authority.rootCertificate(), restored.rootCertificate());
    assertArrayEquals(authority.intermediateCertificate(), restored.intermediateCertificate());
    validate(credential, authority.rootCertificate(), NOW.plus(Duration.ofDays(1)));
  }

  @Test
  void storedAuthorityWhosePartsDoNotBelongTogetherIsRefused() {
    StoredAuthority good = authority.stored();
    StoredAuthority other = CertificateAuthority.generate("example.org", CLOCK).stored();
    List<StoredAuthority> bad = List.of(
        new StoredAuthority(new byte[] {1, 2, 3}, good.rootPrivateKeyPkcs8(), good.intermediateCertificate(),
            good.intermediatePrivateKeyPkcs8()),
        new StoredAuthority(good.rootCertificate(), new byte[0], good.intermediateCertificate(),
            good.intermediatePrivateKeyPkcs8()),
        new StoredAuthority(good.rootCertificate(), good.rootPrivateKeyPkcs8(), good.intermediateCertificate(),
            good.rootPrivateKeyPkcs8()),
        new StoredAuthority(good.rootCertificate(), good.rootPrivateKeyPkcs8(), other.intermediateCertificate(),
            other.intermediatePrivateKeyPkcs8()),
        new StoredAuthority(other.rootCertificate(), good.rootPrivateKeyPkcs8(), good.intermediateCertificate(),
            good.intermediatePrivateKeyPkcs8()));

    for (StoredAuthority stored : bad) {
      assertThrows(InvalidStoredAuthorityException.class, () -> CertificateAuthority.restore(stored));
    }
  }

  @Test
  void clientCertificateNeverOutlivesTheIntermediate() throws Exception {
    SignatureKey key = TestSigningKey.generate(ED25519).signatureKey();

    IssuedCredential credential = authority.issueClientCertificate(ALICE, key, NOW, NOW.plus(Duration.ofDays(7000)));

    Instant intermediateExpiry = certificate(authority.intermediateCertificate()).getNotAfter().toInstant();
    assertEquals(intermediateExpiry, credential.notAfter());
    assertEquals(intermediateExpiry, leaf(credential).getNotAfter().toInstant());
  }

  @Test
  void certificateThatWouldExpireBeforeItStartsIsRefused() {
    SignatureKey key = TestSigningKey.generate(ED25519).signatureKey();

    assertThrows(IllegalArgumentException.class, () -> authority.issueClientCertificate(ALICE, key, NOW, NOW));
    assertThrows(IllegalArgumentException.class,
        () -> authority.issueClientCertificate(ALICE, key, NOW, NOW.minusSeconds(60)));
  }

  @Test
  void certificateOfAnotherDomainOrWithoutClientNamesIdentifiesNoClient() throws Exception {
    X509Certificate leaf = leaf(issue(authority, TestSigningKey.generate(ED25519).signatureKey()));

    var otherDomain = assertThrows(CredentialParseException.class, () -> ClientIdentity.identify(leaf, "example.com"));
    assertTrue(otherDomain.getMessage().contains("not of example.com"), otherDomain.getMessage());
    X509Certificate intermediate = certificate(authority.intermediateCertificate());
    var noNames = assertThrows(CredentialParseException.class,
        () -> ClientIdentity.identify(intermediate, "example.org"));
    assertEquals("the certificate has no SubjectAlternativeName", noNames.getMessage());
  }

  @Test
  void certificateWhoseUrisAreNotExactlyAClientAndItsUserIdentifiesNoClient() throws Exception {
    String bobClient = "mimi://example.org/c/bob/" + UUID.randomUUID();
    List<List<String>> wrongNames = List.of(
        List.of(ALICE.clientId()),
        List.of(ALICE.userId()),
        List.of(ALICE.clientId(), "mimi://example.org/u/bob"),
        List.of(ALICE.clientId(), bobClient),
        List.of(ALICE.clientId(), ALICE.userId(), "https://example.org/alice"),
        List.of(ALICE.clientId().toUpperCase(), ALICE.userId()));

    for (List<String> uris : wrongNames) {
      X509Certificate certificate = certificateNaming(uris);
      assertThrows(CredentialParseException.class, () -> ClientIdentity.identify(certificate, "example.org"),
          uris.toString());
    }
    assertEquals(ALICE, ClientIdentity.identify(certificateNaming(List.of(ALICE.userId(), ALICE.clientId())),
        "example.org"), "the order of the two URIs does not matter");
  }

  /** A certificate that is exactly like a client's but for its SubjectAlternativeName URIs. */
  private X509Certificate certificateNaming(List<String> uris) throws Exception {
    StoredAuthority stored = authority.stored();
    PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(
        new PKCS8EncodedKeySpec(stored.intermediatePrivateKeyPkcs8()));
    var names = new GeneralNames(uris.stream()
        .map(uri -> new GeneralName(GeneralName.uniformResourceIdentifier, uri))
        .toArray(GeneralName[]::new));
    return Issuer.of(certificate(stored.intermediateCertificate()), key).sign(
        new X500Name("CN=alice,O=example.org"),
        SubjectPublicKeyInfo.getInstance(TestSigningKey.generate(ED25519).signatureKey().toPublicKey().getEncoded()),
        NOW, NOW.plus(Duration.ofDays(1)), new SecureRandom(),
        List.of(new CertificateExtension(Extension.subjectAlternativeName, false, names)));
  }

  private static IssuedCredential issue(CertificateAuthority authority, SignatureKey key) {
    return authority.issueClientCertificate(ALICE, key, NOW, NOW.plus(Duration.ofDays(90)));
  }

  private static void validate(IssuedCredential credential, byte[] root, Instant at) throws GeneralSecurityException {
    var factory = CertificateFactory.getInstance("X.509");
    List<X509Certificate> chain = List.of(certificate(credential.chain().get(0)),
        certificate(credential.chain().get(1)));
    var parameters = new PKIXParameters(Set.of(new TrustAnchor(certificate(root), null)));
    parameters.setRevocationEnabled(false);
    parameters.setDate(Date.from(at));
    CertPathValidator.getInstance("PKIX").validate(factory.generateCertPath(chain), parameters);
  }

  private static X509Certificate leaf(IssuedCredential credential) throws GeneralSecurityException {
    assertEquals(2, credential.chain().size());
    return certificate(credential.chain().getFirst());
  }

  private static X509Certificate certificate(byte[] der) throws GeneralSecurityException {
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(der));
  }

  private static byte[] subjectKeyId(X509Certificate certificate) {
    byte[] extension = ASN1OctetString.getInstance(certificate.getExtensionValue("2.5.29.14")).getOctets();
    return SubjectKeyIdentifier.getInstance(extension).getKeyIdentifier();
  }

  private static byte[] authorityKeyId(X509Certificate certificate) {
    byte[] extension = ASN1OctetString.getInstance(certificate.getExtensionValue("2.5.29.35")).getOctets();
    return AuthorityKeyIdentifier.getInstance(extension).getKeyIdentifierOctets();
  }
}
