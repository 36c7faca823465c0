package org.homeserver.platform.grpc.tls;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.util.Optional;
import javax.net.ssl.SSLException;
import org.homeserver.platform.config.ConfigException;
import org.homeserver.platform.config.HomeserverConfig.Tls;
import org.homeserver.platform.tasks.Periodic;

/**
 * TLS on the public port: TLS 1.3 only, ALPN h2, serving the configured certificate and key and,
 * until closed, whatever usable pair the files hold after a change.
 */
public final class PublicPortTls implements AutoCloseable {
  private final SslContext sslContext;
  private final Periodic reloads;

  private PublicPortTls(SslContext sslContext, Periodic reloads) {
    this.sslContext = sslContext;
    this.reloads = reloads;
  }

  /** TLS as configured, or empty for a plaintext port; a pair that cannot be served is a configuration error. */
  public static Optional<PublicPortTls> start(Optional<Tls> configured) throws ConfigException {
    if (configured.isEmpty()) {
      return Optional.empty();
    }
    Tls tls = configured.get();
    CertificateReloads files = refusedAsConfigError(() -> CertificateReloads.start(tls));
    SslContext context;
    try {
      // GrpcSslContexts sets ALPN h2 and HTTP/2's cipher suites; older protocols are not offered.
      context = GrpcSslContexts.configure(SslContextBuilder.forServer(files.served())).protocols("TLSv1.3").build();
    } catch (SSLException e) {
      throw new IllegalStateException("the TLS stack refused TLS 1.3 with a key manager", e);
    }
    return Optional.of(new PublicPortTls(context, Periodic.every("tls-reload", tls.reloadInterval(), files::check)));
  }

  /** Checks that the configured files hold a pair the port can serve, without serving it. */
  public static void check(Optional<Tls> configured) throws ConfigException {
    if (configured.isPresent()) {
      refusedAsConfigError(() -> CertificateReloads.read(configured.get()));
    }
  }

  public SslContext sslContext() {
    return sslContext;
  }

  @Override
  public void close() {
    reloads.close();
  }

  private interface FileRead<T> {
    T read() throws UnusableCertificateException;
  }

  private static <T> T refusedAsConfigError(FileRead<T> read) throws ConfigException {
    try {
      return read.read();
    } catch (UnusableCertificateException e) {
      throw new ConfigException("config: " + e.getMessage());
    }
  }
}
