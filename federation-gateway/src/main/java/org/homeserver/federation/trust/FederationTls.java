package org.homeserver.federation.trust;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Predicate;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.homeserver.federation.FederationSettings;
import org.homeserver.platform.config.ConfigException;
import org.homeserver.platform.grpc.tls.CertificatePair;
import org.homeserver.platform.grpc.tls.ServedCertificate;
import org.homeserver.platform.grpc.tls.UnusableCertificateException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mutual TLS between homeservers (federation.proto PEERS), TLS 1.3 only: this homeserver's
 * certificate, whose DNS SAN is its home domain, served on the federation port and presented when
 * calling peers, and the trust anchors a peer's certificate must chain to.
 */
public final class FederationTls {
  private static final String TLS_1_3 = "TLSv1.3";
  private static final int DNS_NAME = 2;
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

  private static final Logger log = LoggerFactory.getLogger(FederationTls.class);

  /** Where this homeserver's identity is read from, and what it must be. */
  private record Files(String homeDomain, Path certificate, Path key) {}

  private final Files files;
  private final ServedCertificate identity;
  private final TrustManagerFactory anchors;
  private byte[] seen;
  private String lastProblem;

  private FederationTls(Files files, CertificatePair identity, byte[] seen, TrustManagerFactory anchors) {
    this.files = files;
    this.identity = new ServedCertificate(identity);
    this.seen = seen;
    this.anchors = anchors;
  }

  /** The TLS of federation.* settings, or empty when no certificate is configured (no federation). */
  public static Optional<FederationTls> of(FederationSettings settings, String homeDomain) throws ConfigException {
    if (!settings.hasIdentity()) {
      return Optional.empty();
    }
    return Optional.of(load(homeDomain, settings.certificateFile().orElseThrow(), settings.keyFile().orElseThrow(),
        settings.trustAnchorsFile()));
  }

  /**
   * Reads the certificate chain (leaf first), its key and the trust anchors (PEM; none: the JDK's
   * public CAs), and checks the certificate is the home domain's, for both ends of mutual TLS.
   */
  public static FederationTls load(String homeDomain, Path certificateFile, Path keyFile,
                                   Optional<Path> trustAnchorsFile) throws ConfigException {
    Files files = new Files(homeDomain, certificateFile, keyFile);
    List<X509Certificate> anchors;
    try {
      anchors = trustAnchorsFile.isEmpty() ? null
          : CertificatePair.certificates(FederationSettings.TRUST_ANCHORS_FILE.key(), trustAnchorsFile.get());
    } catch (UnusableCertificateException e) {
      throw new ConfigException("config: " + e.getMessage());
    }
    return new FederationTls(files, identity(files), contentOf(files), trustManagers(anchors));
  }

  /**
   * Serves the certificate and key the files hold now to new connections, both ways, if they
   * changed and are usable; an unusable change is logged once and the pair served so far stays.
   * Run periodically (a renewed certificate needs no restart), never concurrently with itself.
   */
  public void reload() {
    byte[] content = contentOf(files);
    if (Arrays.equals(content, seen)) {
      return;
    }
    seen = content;
    try {
      identity.serve(identity(files));
      lastProblem = null;
      log.info("federation TLS: the files changed; serving {} to new connections", identity.current().describe());
    } catch (ConfigException e) {
      if (!e.getMessage().equals(lastProblem)) {
        lastProblem = e.getMessage();
        log.error("federation TLS: the changed files are not served: {}; still serving {}", e.getMessage(),
            identity.current().describe());
      }
    }
  }

  /** Both files' bytes, to tell a change; empty when one cannot be read (the read then says why). */
  private static byte[] contentOf(Files files) {
    try {
      byte[] certificate = java.nio.file.Files.readAllBytes(files.certificate());
      byte[] key = java.nio.file.Files.readAllBytes(files.key());
      byte[] both = Arrays.copyOf(certificate, certificate.length + key.length);
      System.arraycopy(key, 0, both, certificate.length, key.length);
      return both;
    } catch (IOException e) {
      return new byte[0];
    }
  }

  /** The pair in the files, checked to be the home domain's and usable for both ends of mutual TLS. */
  private static CertificatePair identity(Files files) throws ConfigException {
    CertificatePair identity;
    try {
      identity = CertificatePair.read(FederationSettings.CERTIFICATE_FILE.key(), files.certificate(),
          FederationSettings.KEY_FILE.key(), files.key());
    } catch (UnusableCertificateException e) {
      throw new ConfigException("config: " + e.getMessage());
    }
    X509Certificate leaf = identity.leaf();
    List<String> names = dnsNames(leaf);
    String where = "config: " + FederationSettings.CERTIFICATE_FILE.key() + ": " + files.certificate() + ": ";
    if (!names.contains(files.homeDomain().toLowerCase(Locale.ROOT))) {
      throw new ConfigException(where + "the certificate's DNS names are " + names + "; none is the home domain "
          + files.homeDomain() + ", which peers take for this homeserver's domain");
    }
    List<String> usages = extendedKeyUsages(leaf);
    if (!usages.isEmpty() && !(usages.contains(SERVER_AUTH) && usages.contains(CLIENT_AUTH))) {
      throw new ConfigException(where + "the certificate's extended key usage must allow both TLS server and "
          + "client authentication (serverAuth and clientAuth): it is served to peers and presented to them");
    }
    return identity;
  }

  /** This homeserver's certificate. */
  public X509Certificate certificate() {
    return identity.current().leaf();
  }

  /**
   * The federation port's context: a peer must present a certificate that chains to the anchors,
   * allows client authentication, and names a domain {@code domainAllowed} accepts at the moment of
   * the handshake (asked on every handshake: the policy changes while the port is open). Any other
   * handshake fails with no reason given to the peer. No session is resumed, so every connection
   * is checked anew.
   */
  public SslContext serverContext(Predicate<String> domainAllowed) {
    try {
      // The JDK's TLS stack, not OpenSSL's: only it lets the trust manager keep a session from being
      // resumed (BoringSSL resumes TLS 1.3 sessions without asking it again).
      return GrpcSslContexts.configure(SslContextBuilder.forServer(identity), SslProvider.JDK)
          .trustManager(new PeerPolicyTrustManager(pkix(), domainAllowed))
          .clientAuth(ClientAuth.REQUIRE)
          .protocols(TLS_1_3)
          .build();
    } catch (SSLException e) {
      throw new IllegalStateException("the TLS stack refused TLS 1.3 with mutual authentication", e);
    }
  }

  /**
   * The context for calls to peers: presents this homeserver's certificate and trusts the anchors.
   * The peer's certificate must name the domain called: gRPC checks it against the channel's
   * authority, so a channel to a peer sets {@code overrideAuthority(domain)}.
   */
  public SslContext clientContext() {
    try {
      return GrpcSslContexts.forClient()
          .keyManager(identity)
          .trustManager(anchors)
          // gRPC asks for it too; said here so no other user of this context can call a peer unchecked.
          .endpointIdentificationAlgorithm("HTTPS")
          .protocols(TLS_1_3)
          .build();
    } catch (SSLException e) {
      throw new IllegalStateException("the TLS stack refused TLS 1.3 with a client certificate", e);
    }
  }

  /** The certificate's DNS subject alternative names, lower-case; none if it has none or they do not parse. */
  public static List<String> dnsNames(X509Certificate certificate) {
    Collection<List<?>> names;
    try {
      names = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return List.of();
    }
    if (names == null) {
      return List.of();
    }
    List<String> dns = new ArrayList<>();
    for (List<?> name : names) {
      if (name.size() >= 2 && name.get(0) instanceof Integer type && type == DNS_NAME
          && name.get(1) instanceof String value) {
        dns.add(value.toLowerCase(Locale.ROOT));
      }
    }
    return List.copyOf(dns);
  }

  /** The certificate the peer of a TLS session presented, if it presented one. */
  public static Optional<X509Certificate> peerCertificate(SSLSession session) {
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate leaf ? Optional.of(leaf) : Optional.empty();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  private X509ExtendedTrustManager pkix() {
    for (TrustManager manager : anchors.getTrustManagers()) {
      if (manager instanceof X509ExtendedTrustManager x509) {
        return x509;
      }
    }
    throw new IllegalStateException("the JDK's PKIX trust manager factory made no X.509 trust manager");
  }

  /** PKIX trust in {@code anchors}, or in the JDK's default trust store when null. */
  private static TrustManagerFactory trustManagers(List<X509Certificate> anchors) {
    try {
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      if (anchors == null) {
        factory.init((KeyStore) null);
        return factory;
      }
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (int i = 0; i < anchors.size(); i++) {
        store.setCertificateEntry("anchor-" + i, anchors.get(i));
      }
      factory.init(store);
      return factory;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("the JDK's PKIX trust manager cannot be made", e);
    }
  }

  private static List<String> extendedKeyUsages(X509Certificate certificate) {
    try {
      List<String> usages = certificate.getExtendedKeyUsage();
      return usages == null ? List.of() : usages;
    } catch (CertificateParsingException e) {
      return List.of();
    }
  }
}
