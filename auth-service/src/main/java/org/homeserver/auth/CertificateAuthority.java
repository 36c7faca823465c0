package org.homeserver.auth;

import static java.time.temporal.ChronoUnit.SECONDS;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.homeserver.api.auth.v1.GetAuthenticationRootsResponse;
import org.homeserver.platform.ids.ClientIdentity;

/**
 * The homeserver's MLS Authentication Service: a P-256 root CA and an intermediate CA under it, which
 * vouches for clients' signature keys with X.509 certificates naming the client and user ids.
 */
public final class CertificateAuthority {
  private static final String KEY_CHECK_ALGORITHM = "SHA256withECDSA";
  private static final int ROOT_YEARS = 20;
  private static final int INTERMEDIATE_YEARS = 10;

  private final X509Certificate root;
  private final PrivateKey rootKey;
  private final X509Certificate intermediate;
  private final PrivateKey intermediateKey;
  private final SecureRandom random = new SecureRandom();

  private CertificateAuthority(X509Certificate root, PrivateKey rootKey, X509Certificate intermediate,
                               PrivateKey intermediateKey) {
    this.root = root;
    this.rootKey = rootKey;
    this.intermediate = intermediate;
    this.intermediateKey = intermediateKey;
  }

  /** A new root (20 years) and intermediate (10 years) for {@code domain}, valid from now. */
  public static CertificateAuthority generate(String domain, Clock clock) {
    var random = new SecureRandom();
    Instant now = clock.instant().truncatedTo(SECONDS);
    KeyPair rootKeys = newP256KeyPair(random);
    KeyPair intermediateKeys = newP256KeyPair(random);
    X500Name rootName = name(domain + " AS root", domain);
    var rootIssuer = new Issuer(rootName, spki(rootKeys), rootKeys.getPrivate());
    X509Certificate root = rootIssuer.sign(rootName, spki(rootKeys), now, yearsAfter(now, ROOT_YEARS), random,
        caExtensions(new BasicConstraints(true)));
    X509Certificate intermediate = rootIssuer.sign(name(domain + " AS intermediate", domain), spki(intermediateKeys),
        now, yearsAfter(now, INTERMEDIATE_YEARS), random, caExtensions(new BasicConstraints(0)));
    return new CertificateAuthority(root, rootKeys.getPrivate(), intermediate, intermediateKeys.getPrivate());
  }

  /** The authority kept by {@link #stored()}, after checking that its parts belong together. */
  public static CertificateAuthority restore(StoredAuthority stored) throws InvalidStoredAuthorityException {
    try {
      X509Certificate root = certificate(stored.rootCertificate());
      X509Certificate intermediate = certificate(stored.intermediateCertificate());
      PrivateKey rootKey = privateKey(stored.rootPrivateKeyPkcs8());
      PrivateKey intermediateKey = privateKey(stored.intermediatePrivateKeyPkcs8());
      root.verify(root.getPublicKey());
      intermediate.verify(root.getPublicKey());
      requireKeyOf(root, rootKey, "root");
      requireKeyOf(intermediate, intermediateKey, "intermediate");
      return new CertificateAuthority(root, rootKey, intermediate, intermediateKey);
    } catch (GeneralSecurityException | RuntimeException e) {
      // The JDK's parsers signal some malformed encodings with runtime exceptions; all mean a bad row.
      throw new InvalidStoredAuthorityException("the stored authority is unreadable or inconsistent: " + e, e);
    }
  }

  /** The certificates and private keys, for the service's database. */
  public StoredAuthority stored() {
    return new StoredAuthority(rootCertificate(), rootKey.getEncoded(), intermediateCertificate(),
        intermediateKey.getEncoded());
  }

  /** The root certificate (DER) that every client credential of this domain chains to. */
  public byte[] rootCertificate() {
    return der(root);
  }

  /** What GetAuthenticationRoots answers, in the public and the internal API: {@code domain} and its root. */
  public GetAuthenticationRootsResponse roots(String domain) {
    return GetAuthenticationRootsResponse.newBuilder().setDomain(domain)
        .addRootCertificates(ByteString.copyFrom(rootCertificate())).build();
  }

  /** The intermediate certificate (DER) that signs client certificates. */
  public byte[] intermediateCertificate() {
    return der(intermediate);
  }

  /**
   * A certificate for the client's signature key, naming the client id and then the user id as SAN URIs.
   * It never outlives the intermediate: {@code notAfter} is cut to the intermediate's expiry if later.
   */
  public IssuedCredential issueClientCertificate(ClientIdentity identity, SignatureKey key, Instant notBefore,
                                                 Instant notAfter) {
    Instant from = notBefore.truncatedTo(SECONDS);
    Instant until = min(notAfter.truncatedTo(SECONDS), intermediate.getNotAfter().toInstant());
    if (!until.isAfter(from)) {
      throw new IllegalArgumentException("a certificate valid from " + from + " must expire later, not " + until);
    }
    var names = new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.uniformResourceIdentifier, identity.clientId()),
        new GeneralName(GeneralName.uniformResourceIdentifier, identity.userId())});
    X509Certificate leaf = Issuer.of(intermediate, intermediateKey).sign(
        name(identity.handle(), identity.domain()),
        SubjectPublicKeyInfo.getInstance(key.toPublicKey().getEncoded()),
        from, until, random, List.of(
            new CertificateExtension(Extension.basicConstraints, true, new BasicConstraints(false)),
            new CertificateExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature)),
            new CertificateExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth)),
            new CertificateExtension(Extension.subjectAlternativeName, false, names)));
    return new IssuedCredential(List.of(der(leaf), intermediateCertificate()), until);
  }

  /** A CA signs certificates and revocation lists, and nothing else. */
  private static List<CertificateExtension> caExtensions(BasicConstraints constraints) {
    return List.of(
        new CertificateExtension(Extension.basicConstraints, true, constraints),
        new CertificateExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)));
  }

  /** {@code CN=<common name>, O=<domain>}, encoded O first as X.500 names go from broad to narrow. */
  private static X500Name name(String commonName, String domain) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, domain)
        .addRDN(BCStyle.CN, commonName)
        .build();
  }

  private static KeyPair newP256KeyPair(SecureRandom random) {
    try {
      var generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), random);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java 25 runtime generates P-256 keys", e);
    }
  }

  private static void requireKeyOf(X509Certificate certificate, PrivateKey key, String role)
      throws GeneralSecurityException {
    byte[] probe = ("does this key belong to the " + role + " certificate").getBytes(StandardCharsets.UTF_8);
    var signer = Signature.getInstance(KEY_CHECK_ALGORITHM);
    signer.initSign(key);
    signer.update(probe);
    byte[] signature = signer.sign();
    signer.initVerify(certificate.getPublicKey());
    signer.update(probe);
    if (!signer.verify(signature)) {
      throw new GeneralSecurityException("the " + role + " private key does not match its certificate");
    }
  }

  private static X509Certificate certificate(byte[] der) throws GeneralSecurityException {
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(der));
  }

  private static PrivateKey privateKey(byte[] pkcs8) throws GeneralSecurityException {
    return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
  }

  private static byte[] der(X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("a certificate this authority holds cannot be encoded", e);
    }
  }

  private static SubjectPublicKeyInfo spki(KeyPair keys) {
    return SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
  }

  private static Instant yearsAfter(Instant start, int years) {
    return start.atOffset(ZoneOffset.UTC).plusYears(years).toInstant();
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
