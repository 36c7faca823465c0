package org.homeserver.federation.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.homeserver.platform.config.ConfigException;
import org.homeserver.platform.testing.TestCertificateAuthority;
import org.homeserver.platform.testing.TestCertificateAuthority.Issued;
import org.homeserver.platform.testing.TestCertificateAuthority.KeyFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FederationTlsTest {
  private static final String SERVER = "a.example";
  private static final String CLIENT = "b.example";
  private static final TestCertificateAuthority CA = TestCertificateAuthority.create("federation-test-ca");

  @TempDir
  Path dir;
  private Server server;
  /** The domains of the peers the server saw, by their certificate. */
  private final Set<String> seenPeers = ConcurrentHashMap.newKeySet();
  /** The serial numbers of the client certificates the server saw. */
  private final Set<java.math.BigInteger> seenSerials = ConcurrentHashMap.newKeySet();

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aPeerOfAnAllowedDomainIsServedAndKnownByItsCertificate() throws Exception {
    int port = serve(tls(SERVER, CA.issueForDomain(SERVER), Optional.of(CA)).serverContext(CLIENT::equals));

    assertEquals(ServingStatus.SERVING, healthCheck(port, tls(CLIENT, CA.issueForDomain(CLIENT), Optional.of(CA)).clientContext(), SERVER));
    assertEquals(Set.of(CLIENT), seenPeers);
  }

  @Test
  void aPeerThePolicyForbidsIsRefusedAndThePolicyIsAskedAtEveryHandshake() throws Exception {
    Set<String> allowed = ConcurrentHashMap.newKeySet();
    int port = serve(tls(SERVER, CA.issueForDomain(SERVER), Optional.of(CA)).serverContext(allowed::contains));
    SslContext client = tls(CLIENT, CA.issueForDomain(CLIENT), Optional.of(CA)).clientContext();

    assertRefused(port, client, SERVER);
    allowed.add(CLIENT);
    // The same client context each time: it would offer to resume its session, which is not allowed.
    assertEquals(ServingStatus.SERVING, healthCheck(port, client, SERVER));
    allowed.remove(CLIENT);
    assertRefused(port, client, SERVER);
    assertEquals(Set.of(CLIENT), seenPeers);
  }

  @Test
  void aClientCertificateFromAnUnknownCaIsRefused() throws Exception {
    int port = serve(tls(SERVER, CA.issueForDomain(SERVER), Optional.of(CA)).serverContext(d -> true));
    TestCertificateAuthority stranger = TestCertificateAuthority.create("stranger-ca");
    // The client trusts the server's CA, but its own certificate comes from another.
    Issued fromStranger = stranger.issueForDomain(CLIENT);
    SslContext client = tls(CLIENT, fromStranger, Optional.of(CA)).clientContext();

    assertRefused(port, client, SERVER);
    assertTrue(seenPeers.isEmpty());
  }

  @Test
  void aClientWithoutCertificateIsRefused() throws Exception {
    int port = serve(tls(SERVER, CA.issueForDomain(SERVER), Optional.of(CA)).serverContext(d -> true));
    SslContext anonymous = GrpcSslContexts.forClient().trustManager(CA.certificate()).protocols("TLSv1.3").build();

    assertRefused(port, anonymous, SERVER);
    assertTrue(seenPeers.isEmpty());
  }

  @Test
  void aClientCertificateNotMeantForClientAuthenticationIsRefused() throws Exception {
    int port = serve(tls(SERVER, CA.issueForDomain(SERVER), Optional.of(CA)).serverContext(d -> true));
    Issued serverOnly = CA.issue("server-only");   // extended key usage serverAuth alone, DNS name localhost
    SslContext client = GrpcSslContexts.forClient().keyManager(serverOnly.keys().getPrivate(), serverOnly.certificate())
        .trustManager(CA.certificate()).protocols("TLSv1.3").build();

    assertRefused(port, client, SERVER);
    assertTrue(seenPeers.isEmpty());
  }

  @Test
  void aServerWhoseCertificateNamesAnotherDomainIsRefusedByTheClient() throws Exception {
    int port = serve(tls("c.example", CA.issueForDomain("c.example"), Optional.of(CA)).serverContext(d -> true));
    SslContext client = tls(CLIENT, CA.issueForDomain(CLIENT), Optional.of(CA)).clientContext();

    assertRefused(port, client, SERVER);
    // The same client reaches it under the name its certificate holds: the refusal was the name's.
    assertEquals(ServingStatus.SERVING, healthCheck(port, client, "c.example"));
  }

  @Test
  void aServerFromAnUnknownCaIsRefusedByTheClient() throws Exception {
    TestCertificateAuthority stranger = TestCertificateAuthority.create("stranger-ca");
    int port = serve(tls(SERVER, stranger.issueForDomain(SERVER), Optional.of(CA)).serverContext(d -> true));

    assertRefused(port, tls(CLIENT, CA.issueForDomain(CLIENT), Optional.of(CA)).clientContext(), SERVER);
  }

  @Test
  void aCertificateThatDoesNotNameTheHomeDomainIsAConfigurationError() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> tls("other.example", CA.issueForDomain(SERVER), Optional.of(CA)));
    assertTrue(e.getMessage().contains("federation.certificate-file")
        && e.getMessage().contains("[a.example]") && e.getMessage().contains("other.example"), e.getMessage());
  }

  @Test
  void aKeyThatIsNotTheCertificatesIsAConfigurationError() {
    Issued certificate = CA.issueForDomain(SERVER);
    Issued other = CA.issueForDomain(SERVER);
    certificate.writeChain(dir.resolve("chain.pem"));
    other.writeKey(dir.resolve("key.pem"), KeyFormat.PKCS8);

    ConfigException e = assertThrows(ConfigException.class, () -> FederationTls.load(SERVER, dir.resolve("chain.pem"),
        dir.resolve("key.pem"), Optional.empty()));
    assertTrue(e.getMessage().contains("federation.key-file") && e.getMessage().contains("not the private key"),
        e.getMessage());
  }

  @Test
  void aTraditionalEcKeyIsRead() throws Exception {
    Issued issued = CA.issueForDomain(SERVER);
    issued.writeChain(dir.resolve("chain.pem"));
    issued.writeKey(dir.resolve("key.pem"), KeyFormat.TRADITIONAL);

    FederationTls tls = FederationTls.load(SERVER, dir.resolve("chain.pem"), dir.resolve("key.pem"), Optional.empty());
    assertEquals(issued.certificate(), tls.certificate());
  }

  @Test
  void dnsNamesAreTheCertificatesDnsSubjectAlternativeNames() {
    assertEquals(List.of("a.example"), FederationTls.dnsNames(CA.issueForDomain("A.example").certificate()));
    assertEquals(List.of("localhost"), FederationTls.dnsNames(CA.issue("server").certificate()));
    assertEquals(List.of(), FederationTls.dnsNames(CA.certificate()));
  }

  /**
   * A renewed certificate reaches new connections without a restart, on both ends: the one a
   * client presents and the one a server serves. A renewal that is not usable (here, for another
   * domain) is not taken: the pair served so far stays.
   */
  @Test
  void aRenewedCertificateIsPresentedAndServedToNewConnectionsWithoutARestart() throws Exception {
    Path anchors = dir.resolve("anchors.pem");
    CA.writeCertificate(anchors);
    Issued server = write(SERVER, CA.issueForDomain(SERVER));
    Issued client = write(CLIENT, CA.issueForDomain(CLIENT));
    FederationTls serverTls = FederationTls.load(SERVER, chainFile(SERVER), keyFile(SERVER), Optional.of(anchors));
    FederationTls clientTls = FederationTls.load(CLIENT, chainFile(CLIENT), keyFile(CLIENT), Optional.of(anchors));
    int port = serve(serverTls.serverContext(CLIENT::equals));
    SslContext calling = clientTls.clientContext();
    assertEquals(ServingStatus.SERVING, healthCheck(port, calling, SERVER));
    assertEquals(Set.of(client.serial()), seenSerials);

    Issued renewed = write(CLIENT, CA.issueForDomain(CLIENT));
    clientTls.reload();
    assertEquals(ServingStatus.SERVING, healthCheck(port, calling, SERVER));
    assertEquals(Set.of(client.serial(), renewed.serial()), seenSerials, "the renewed client certificate is presented");

    write(SERVER, CA.issueForDomain("elsewhere.example"));
    serverTls.reload();
    assertEquals(server.serial(), serverTls.certificate().getSerialNumber(), "an unusable renewal is not taken");
    assertEquals(ServingStatus.SERVING, healthCheck(port, calling, SERVER));
    Issued renewedServer = write(SERVER, CA.issueForDomain(SERVER));
    serverTls.reload();
    assertEquals(renewedServer.serial(), serverTls.certificate().getSerialNumber());
    assertEquals(ServingStatus.SERVING, healthCheck(port, calling, SERVER));
  }

  private Path chainFile(String domain) {
    return dir.resolve(domain + "-chain.pem");
  }

  private Path keyFile(String domain) {
    return dir.resolve(domain + "-key.pem");
  }

  /** Writes {@code issued} as {@code domain}'s files, as a renewal replaces them. */
  private Issued write(String domain, Issued issued) {
    issued.writeChain(chainFile(domain));
    issued.writeKey(keyFile(domain), KeyFormat.PKCS8);
    return issued;
  }

  private FederationTls tls(String domain, Issued issued, Optional<TestCertificateAuthority> anchor) throws ConfigException {
    Path chain = dir.resolve(domain + "-" + issued.serial() + "-chain.pem");
    Path key = dir.resolve(domain + "-" + issued.serial() + "-key.pem");
    issued.writeChain(chain);
    issued.writeKey(key, KeyFormat.PKCS8);
    Optional<Path> anchors = anchor.map(ca -> {
      Path file = dir.resolve(domain + "-" + issued.serial() + "-anchors.pem");
      ca.writeCertificate(file);
      return file;
    });
    return FederationTls.load(domain, chain, key, anchors);
  }

  /** A real gRPC server on a loopback port serving health, which notes each caller's certificate domains. */
  private int serve(SslContext context) throws Exception {
    ServerInterceptor peers = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                        ServerCallHandler<Q, R> next) {
        Optional.ofNullable(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION))
            .flatMap(FederationTls::peerCertificate)
            .ifPresent(certificate -> {
              seenPeers.addAll(FederationTls.dnsNames(certificate));
              seenSerials.add(certificate.getSerialNumber());
            });
        return next.startCall(call, headers);
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).sslContext(context)
        .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(), peers))
        .build().start();
    return server.getPort();
  }

  private static ServingStatus healthCheck(int port, SslContext client, String authority) throws InterruptedException {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(client)
        .overrideAuthority(authority).build();
    try {
      return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static void assertRefused(int port, SslContext client, String authority) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> healthCheck(port, client, authority));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
  }
}
