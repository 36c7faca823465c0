package org.homeserver.platform.grpc.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * One PEM file's content as the certificate chain or the private key it holds, read with Bouncy
 * Castle's parser and turned into the JDK's own types (no Bouncy Castle provider is installed).
 */
record PemFile(String setting, Path path, byte[] content) {

  /** The file's content as it is now. */
  static PemFile read(String setting, Path path) throws UnusableCertificateException {
    try {
      return new PemFile(setting, path, Files.readAllBytes(path));
    } catch (IOException e) {
      throw new UnusableCertificateException(setting, path, switch (e) {
        case NoSuchFileException ignored -> "does not exist";
        case AccessDeniedException ignored -> "cannot be read: permission denied";
        default -> "cannot be read: " + e;
      });
    }
  }

  /** True if {@code other} is the same file with the same content. */
  boolean unchanged(PemFile other) {
    return other != null && path.equals(other.path) && Arrays.equals(content, other.content);
  }

  /** Every certificate in the file, in file order (leaf first, as the setting asks). */
  List<X509Certificate> certificates() throws UnusableCertificateException {
    List<X509Certificate> chain = new ArrayList<>();
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    for (Object object : objects()) {
      if (object instanceof X509CertificateHolder holder) {
        try {
          chain.add(converter.getCertificate(holder));
        } catch (CertificateException e) {
          throw problem("certificate " + (chain.size() + 1) + " is not a valid X.509 certificate: " + e.getMessage());
        }
      }
    }
    if (chain.isEmpty()) {
      throw problem("holds no certificate (expected PEM blocks BEGIN CERTIFICATE, leaf first)");
    }
    return chain;
  }

  /** The file's one private key: PKCS#8 ({@code BEGIN PRIVATE KEY}) or traditional EC or RSA. */
  PrivateKey privateKey() throws UnusableCertificateException {
    List<PrivateKeyInfo> keys = new ArrayList<>();
    for (Object object : objects()) {
      switch (object) {
        case PrivateKeyInfo info -> keys.add(info);
        case PEMKeyPair pair -> keys.add(pair.getPrivateKeyInfo());
        case PEMEncryptedKeyPair ignored -> throw encrypted();
        case PKCS8EncryptedPrivateKeyInfo ignored -> throw encrypted();
        // Anything else (EC PARAMETERS before a traditional EC key, a certificate) is not the key.
        default -> { }
      }
    }
    if (keys.size() != 1) {
      throw problem(keys.isEmpty()
          ? "holds no private key (expected BEGIN PRIVATE KEY, BEGIN EC PRIVATE KEY or BEGIN RSA PRIVATE KEY)"
          : "holds " + keys.size() + " private keys; it must hold exactly one");
    }
    try {
      return new JcaPEMKeyConverter().getPrivateKey(keys.getFirst());
    } catch (IOException e) {
      throw problem("the private key cannot be used: " + e.getMessage());
    }
  }

  private List<Object> objects() throws UnusableCertificateException {
    List<Object> objects = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new InputStreamReader(new ByteArrayInputStream(content),
        StandardCharsets.US_ASCII))) {
      for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
        objects.add(object);
      }
    } catch (IOException | RuntimeException e) {
      // The parser reports bad base64 and bad DER as runtime exceptions too.
      throw problem("is not valid PEM: " + e.getMessage());
    }
    return objects;
  }

  private UnusableCertificateException encrypted() {
    return problem("the private key is encrypted; write it unencrypted, readable only by the homeserver's user");
  }

  UnusableCertificateException problem(String what) {
    return new UnusableCertificateException(setting, path, what);
  }
}
