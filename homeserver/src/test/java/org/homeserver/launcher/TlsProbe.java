package org.homeserver.launcher;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A client's view of the public port's TLS: one JDK handshake that trusts only a given CA and checks
 * the host name, as a careful client does, and gRPC channels made the same way.
 */
final class TlsProbe {
  /** What a handshake agreed on. */
  record Handshake(String protocol, String applicationProtocol, X509Certificate leaf) {}

  private TlsProbe() {}

  /** A handshake with localhost:{@code port} offering only {@code protocols} and ALPN h2. */
  static Handshake handshake(int port, X509Certificate trusted, String... protocols) throws IOException {
    try (SSLSocket socket = (SSLSocket) trusting(trusted).getSocketFactory().createSocket("localhost", port)) {
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setProtocols(protocols);
      parameters.setApplicationProtocols(new String[] {"h2"});
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(parameters);
      socket.setSoTimeout(10_000);
      socket.startHandshake();
      return new Handshake(socket.getSession().getProtocol(), socket.getApplicationProtocol(),
          (X509Certificate) socket.getSession().getPeerCertificates()[0]);
    }
  }

  /** A gRPC channel to localhost:{@code port} over TLS, trusting only {@code trusted}. */
  static ManagedChannel channel(int port, X509Certificate trusted) throws SSLException {
    return NettyChannelBuilder.forAddress("localhost", port)
        .sslContext(GrpcSslContexts.forClient().trustManager(trusted).build())
        .build();
  }

  private static SSLContext trusting(X509Certificate trusted) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setCertificateEntry("ca", trusted);
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
