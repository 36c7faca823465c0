package org.homeserver.platform.grpc.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager whose every new handshake gets the pair served at that moment, so a replaced pair
 * reaches new connections without a restart (open ones keep theirs): the public port's, and both
 * ends of the federation port's mutual TLS.
 */
public final class ServedCertificate extends X509ExtendedKeyManager {
  /** A pair under the alias a handshake asks for it by. */
  private record Served(String alias, CertificatePair pair) {}

  private volatile Served current;
  // A handshake chooses the alias, then asks for chain and key by it: one that chose just before a
  // swap still gets the pair it chose.
  private volatile Served previous;
  private long generation;

  public ServedCertificate(CertificatePair pair) {
    serve(pair);
  }

  /** From now on, new handshakes get {@code pair}. */
  public synchronized void serve(CertificatePair pair) {
    previous = current;
    current = new Served("pair-" + ++generation, pair);
  }

  public CertificatePair current() {
    return current.pair();
  }

  // There is one pair: whatever key type the TLS stack asks for, it is offered. The JDK's stack
  // skips it when the type is not the one asked; OpenSSL's asks by cipher-suite names that say
  // nothing of the key in TLS 1.3.
  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return current.alias();
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return current.alias();
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return new String[] {current.alias()};
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    CertificatePair pair = pair(alias);
    return pair == null ? null : pair.chain().toArray(X509Certificate[]::new);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    CertificatePair pair = pair(alias);
    return pair == null ? null : pair.key();
  }

  private CertificatePair pair(String alias) {
    Served now = current;
    Served before = previous;
    if (now.alias().equals(alias)) {
      return now.pair();
    }
    return before != null && before.alias().equals(alias) ? before.pair() : null;
  }

  // As a client (calls to peers), the same one pair.
  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return current.alias();
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return current.alias();
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return new String[] {current.alias()};
  }
}
