package org.homeserver.platform.grpc.tls;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;
import org.homeserver.platform.config.ConfigException;
import org.homeserver.platform.config.ConfigSchema;
import org.homeserver.platform.config.HomeserverConfig.InternalTls;
import org.homeserver.platform.grpc.tls.CertificateReloads.Files;
import org.homeserver.platform.tasks.Periodic;

/**
 * Mutual TLS 1.3 between the services: the internal port serves this process's certificate and
 * accepts only callers whose certificate chains to the operator's CA; the channels to the other
 * services present the same certificate and accept only a server whose certificate chains to that
 * CA and names the host called. A renewed certificate in the files is used for new connections
 * without a restart.
 */
public final class InternalPortTls implements AutoCloseable {
  /** How often the files are checked for a renewal. */
  static final Duration RELOAD_INTERVAL = Duration.ofSeconds(30);
  private final SslContext server;
  private final SslContext client;
  private final Periodic reloads;

  private InternalPortTls(SslContext server, SslContext client, Periodic reloads) {
    this.server = server;
    this.client = client;
    this.reloads = reloads;
  }

  /** TLS as configured, or empty for a plaintext internal port; unusable files are a configuration error. */
  public static Optional<InternalPortTls> start(Optional<InternalTls> configured) throws ConfigException {
    if (configured.isEmpty()) {
      return Optional.empty();
    }
    InternalTls tls = configured.get();
    CertificateReloads files;
    List<X509Certificate> authorities;
    try {
      files = CertificateReloads.start(Files.of(tls));
      authorities = CertificatePair.certificates(ConfigSchema.INTERNAL_TLS_CA_FILE.key(), tls.caFile());
    } catch (UnusableCertificateException e) {
      throw new ConfigException("config: " + e.getMessage());
    }
    X509Certificate[] trusted = authorities.toArray(X509Certificate[]::new);
    try {
      SslContext server = GrpcSslContexts.configure(SslContextBuilder.forServer(files.served()))
          .trustManager(trusted).clientAuth(ClientAuth.REQUIRE).protocols("TLSv1.3").build();
      SslContext client = GrpcSslContexts.forClient().keyManager(files.served()).trustManager(trusted)
          .protocols("TLSv1.3").build();
      return Optional.of(new InternalPortTls(server, client, Periodic.every("internal-tls-reload", RELOAD_INTERVAL,
          files::check)));
    } catch (SSLException e) {
      throw new IllegalStateException("the TLS stack refused TLS 1.3 with a key manager", e);
    }
  }

  /** Checks that the configured files hold a pair and CA certificates the port can use, without serving them. */
  public static void check(Optional<InternalTls> configured) throws ConfigException {
    if (configured.isEmpty()) {
      return;
    }
    try {
      CertificateReloads.read(Files.of(configured.get()));
      CertificatePair.certificates(ConfigSchema.INTERNAL_TLS_CA_FILE.key(), configured.get().caFile());
    } catch (UnusableCertificateException e) {
      throw new ConfigException("config: " + e.getMessage());
    }
  }

  /** For the internal port. */
  public SslContext server() {
    return server;
  }

  /** For the channels to the other services' internal ports. */
  public SslContext client() {
    return client;
  }

  @Override
  public void close() {
    reloads.close();
  }
}
