package org.homeserver.federation.trust;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Predicate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The federation port's check of a calling peer: its chain must pass PKIX validation against the
 * anchors as a TLS client's (the JDK's trust manager checks the clientAuth usage), and one of its
 * DNS names must be a domain the federation policy allows at the moment of the handshake. Every
 * handshake is a full one: sessions are never resumed.
 */
final class PeerPolicyTrustManager extends X509ExtendedTrustManager {
  private static final Logger log = LoggerFactory.getLogger(PeerPolicyTrustManager.class);
  private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

  private final X509ExtendedTrustManager pkix;
  private final Predicate<String> domainAllowed;

  PeerPolicyTrustManager(X509ExtendedTrustManager pkix, Predicate<String> domainAllowed) {
    this.pkix = pkix;
    this.domainAllowed = domainAllowed;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    pkix.checkClientTrusted(chain, authType, engine);
    admit(chain);
    neverResumed(engine.getHandshakeSession());
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    pkix.checkClientTrusted(chain, authType, socket);
    admit(chain);
    if (socket instanceof SSLSocket tls) {
      neverResumed(tls.getHandshakeSession());
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    pkix.checkClientTrusted(chain, authType);
    admit(chain);
  }

  /** The TLS stack sends the peer only an alert; the reason stays here. */
  private void admit(X509Certificate[] chain) throws CertificateException {
    List<String> names = FederationTls.dnsNames(chain[0]);
    if (names.stream().noneMatch(domainAllowed)) {
      log.debug("federation: refused a peer whose certificate names {}: the federation policy allows none", names);
      throw new CertificateException("the federation policy allows none of the peer's domains " + names);
    }
  }

  /**
   * A resumed session skips this check, so a peer the policy forbids since, or whose certificate
   * expired, would be let in again: an invalidated session is not resumable, so the JDK's TLS stack
   * issues no ticket for it.
   */
  private static void neverResumed(SSLSession session) {
    if (session != null) {
      session.invalidate();
    }
  }

  // The server end never checks a server.
  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("the federation port checks only clients");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("the federation port checks only clients");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("the federation port checks only clients");
  }

  /** None named: with the JDK's public CAs the list would be long, and it tells a prober nothing it needs. */
  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return NO_ISSUERS;
  }
}
