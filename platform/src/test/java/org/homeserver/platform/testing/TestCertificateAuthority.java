package org.homeserver.platform.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * A private certificate authority for tests of TLS: a self-signed P-256 root that issues server
 * certificates for localhost and 127.0.0.1, written as PEM files the way an operator gets them.
 */
public final class TestCertificateAuthority {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** How a private key is written: PKCS#8 ({@code BEGIN PRIVATE KEY}) or traditional ({@code BEGIN EC PRIVATE KEY}). */
  public enum KeyFormat { PKCS8, TRADITIONAL }

  /** A certificate this CA issued and its key pair. */
  public record Issued(X509Certificate certificate, KeyPair keys, X509Certificate issuer) {
    /** The chain as a server serves it: this certificate, then the CA's. */
    public void writeChain(Path file) {
      write(file, certificate, issuer);
    }

    public void writeKey(Path file, KeyFormat format) {
      try {
        write(file, switch (format) {
          case PKCS8 -> new JcaPKCS8Generator(keys.getPrivate(), null);
          case TRADITIONAL -> keys.getPrivate().getAlgorithm().equals("EC") ? traditionalEc() : keys.getPrivate();
        });
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /**
     * SEC 1 as openssl writes it, the curve named inside: written from a JDK key, Bouncy Castle
     * would leave the curve out, which nothing can read back.
     */
    private PemObject traditionalEc() throws IOException {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
      ECPrivateKey sec1 = ECPrivateKey.getInstance(info.parsePrivateKey());
      ECPrivateKey named = new ECPrivateKey(256, sec1.getKey(),
          SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()).getPublicKeyData(),
          info.getPrivateKeyAlgorithm().getParameters());
      return new PemObject("EC PRIVATE KEY", named.getEncoded());
    }

    public BigInteger serial() {
      return certificate.getSerialNumber();
    }
  }

  private final KeyPair keys;
  private final X509Certificate certificate;

  private TestCertificateAuthority(KeyPair keys, X509Certificate certificate) {
    this.keys = keys;
    this.certificate = certificate;
  }

  /** A new root named {@code CN=<name>}. */
  public static TestCertificateAuthority create(String name) {
    KeyPair keys = keyPair("EC");
    X500Name subject = new X500Name("CN=" + name);
    var builder = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(Instant.now().minus(Duration.ofHours(1))),
        Date.from(Instant.now().plus(Duration.ofDays(1))), subject, keys.getPublic());
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new TestCertificateAuthority(keys, sign(builder, keys));
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** The root certificate as a PEM file, for clients to trust. */
  public void writeCertificate(Path file) {
    write(file, certificate);
  }

  /** A server certificate for localhost and 127.0.0.1 named {@code CN=<commonName>}, with a new P-256 key. */
  public Issued issue(String commonName) {
    return issue(commonName, keyPair("EC"));
  }

  /** A server certificate for localhost and 127.0.0.1 named {@code CN=<commonName>}, for {@code subjectKeys}. */
  public Issued issue(String commonName, KeyPair subjectKeys) {
    return issue(commonName, subjectKeys, new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth});
  }

  /**
   * A certificate for localhost and 127.0.0.1 named {@code CN=<commonName>} that serves and also
   * authenticates its holder as a client (mutual TLS between services), with a new P-256 key.
   */
  public Issued issueForBothEnds(String commonName) {
    return issue(commonName, keyPair("EC"), new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth,
        KeyPurposeId.id_kp_clientAuth});
  }

  /** As {@link #issueForBothEnds(String)}, for the one host {@code host} (a DNS name or an IPv4 address). */
  public Issued issueForBothEnds(String commonName, String host) {
    return issue(commonName, keyPair("EC"), new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth,
        KeyPurposeId.id_kp_clientAuth}, new GeneralName(host.matches("[0-9.]+") ? GeneralName.iPAddress
        : GeneralName.dNSName, host));
  }

  private Issued issue(String commonName, KeyPair subjectKeys, KeyPurposeId[] purposes) {
    return issue(commonName, subjectKeys, purposes, new GeneralName(GeneralName.dNSName, "localhost"),
        new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
  }

  private Issued issue(String commonName, KeyPair subjectKeys, KeyPurposeId[] purposes, GeneralName... hosts) {
    var builder = new JcaX509v3CertificateBuilder(certificate, serial(),
        Date.from(Instant.now().minus(Duration.ofHours(1))), Date.from(Instant.now().plus(Duration.ofDays(1))),
        new X500Name("CN=" + commonName), subjectKeys.getPublic());
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes));
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(hosts));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Issued(sign(builder, keys), subjectKeys, certificate);
  }

  /**
   * A federation certificate for home domain {@code domain}: its DNS SAN is the domain, for both
   * ends of mutual TLS (server and client authentication), with a new P-256 key.
   */
  public Issued issueForDomain(String domain) {
    KeyPair subjectKeys = keyPair("EC");
    var builder = new JcaX509v3CertificateBuilder(certificate, serial(),
        Date.from(Instant.now().minus(Duration.ofHours(1))), Date.from(Instant.now().plus(Duration.ofDays(1))),
        new X500Name("CN=" + domain), subjectKeys.getPublic());
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
          KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
          new GeneralName(GeneralName.dNSName, domain)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Issued(sign(builder, keys), subjectKeys, certificate);
  }

  /** A new key pair: {@code EC} (P-256) or {@code RSA} (2048 bits). */
  public static KeyPair keyPair(String algorithm) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
      if (algorithm.equals("EC")) {
        generator.initialize(new ECGenParameterSpec("secp256r1"));
      } else {
        generator.initialize(2048);
      }
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer) {
    try {
      byte[] der = builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())).getEncoded();
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    } catch (IOException | OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(64, RANDOM).setBit(63);
  }

  private static void write(Path file, Object... objects) {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
      for (Object object : objects) {
        pem.writeObject(object);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      // Written whole, then moved into place: the server never reads half a file, as with certbot.
      Path partial = Files.writeString(file.resolveSibling(file.getFileName() + ".partial"), text.toString());
      Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
