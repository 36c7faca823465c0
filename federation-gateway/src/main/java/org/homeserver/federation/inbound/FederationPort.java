package org.homeserver.federation.inbound;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.auth.v1.AuthInternalServiceGrpc.AuthInternalServiceBlockingStub;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.DeliveryInternalServiceGrpc.DeliveryInternalServiceBlockingStub;
import org.homeserver.api.directory.v1.DirectoryInternalServiceGrpc.DirectoryInternalServiceBlockingStub;
import org.homeserver.api.federation.v1.FederationKey;
import org.homeserver.api.federation.v1.GetFederationKeysResponse;
import org.homeserver.api.keypackage.v1.KeyPackageInternalServiceGrpc.KeyPackageInternalServiceBlockingStub;
import org.homeserver.federation.outbound.PeerKeys;
import org.homeserver.federation.outbox.Outbox;
import org.homeserver.federation.policy.LivePolicy;
import org.homeserver.federation.trust.FederationTls;
import org.homeserver.federation.trust.RequestSignature;
import org.homeserver.federation.trust.SeenRequests;
import org.homeserver.federation.trust.SigningKeyStore;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.GrpcServers;
import org.homeserver.platform.grpc.Protos;
import org.homeserver.platform.ratelimit.RateLimiter;

/**
 * The federation port: mutual TLS that admits only certificates of domains the policy allows, the
 * {@link PeerInterceptor}'s proof of every call, and the federation API behind them.
 */
public final class FederationPort implements AutoCloseable {
  /** The largest federated request (federation.proto SIZES), and room for its framing. */
  private static final int MAX_REQUEST_BYTES = 9 * 1024 * 1024;

  /** The internal APIs inbound calls are handed to. */
  public record Services(AuthInternalServiceBlockingStub auth, DirectoryInternalServiceBlockingStub directory,
                         KeyPackageInternalServiceBlockingStub keyPackages,
                         DeliveryInternalServiceBlockingStub delivery) {}

  private final Server server;
  private final ExecutorService executor;

  private FederationPort(Server server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  public static FederationPort start(String host, int port, FederationTls tls, LivePolicy policy, Services services,
                                     PeerKeys peerKeys, SeenRequests seen, SigningKeyStore signingKeys, Outbox outbox,
                                     RateLimiter discoveries, String domain, String software, MeterRegistry meters,
                                     Clock clock) throws IOException {
    PeerInterceptor.SignatureCheck check = (headers, method, origin, request) -> {
      RequestSignature.Verified verified = RequestSignature.verify(headers, method, domain, request, peerKeys,
          clock.instant());
      if (!verified.origin().equals(origin)) {
        throw Refusal.of(ErrorReason.PEER_DOMAIN_MISMATCH, "the signature is of " + verified.origin());
      }
      if (!seen.firstSight(origin, verified.requestId(), verified.rememberUntil())) {
        throw Refusal.of(ErrorReason.FEDERATION_REPLAYED, "request " + verified.requestId() + " from " + origin
            + " was already received");
      }
    };
    FederationGrpcService api = new FederationGrpcService(domain, software, services, discoveries,
        () -> published(signingKeys, domain, clock));
    ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
        .sslContext(tls.serverContext(policy::allows))
        .executor(executor)
        .maxInboundMessageSize(MAX_REQUEST_BYTES)
        .addService(GrpcServers.intercepted(api.bindService(), meters,
            new PeerInterceptor(policy, check, outbox::reached)))
        .build()
        .start();
    return new FederationPort(server, executor);
  }

  private static GetFederationKeysResponse published(SigningKeyStore keys, String domain, Clock clock) {
    GetFederationKeysResponse.Builder out = GetFederationKeysResponse.newBuilder().setDomain(domain);
    keys.published(clock.instant()).forEach(k -> out.addKeys(FederationKey.newBuilder().setKeyId(k.keyId())
        .setPublicKey(com.google.protobuf.ByteString.copyFrom(k.publicKey()))
        .setValidFrom(Protos.timestamp(k.validFrom())).setValidUntil(Protos.timestamp(k.validUntil()))));
    return out.build();
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdown();
    if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
      server.shutdownNow();
    }
    executor.shutdown();
  }
}
