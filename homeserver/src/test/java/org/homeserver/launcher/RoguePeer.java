package org.homeserver.launcher;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.federation.v1.ExchangeCapabilitiesRequest;
import org.homeserver.api.federation.v1.ExchangeCapabilitiesResponse;
import org.homeserver.api.federation.v1.FederationKey;
import org.homeserver.api.federation.v1.FederationServiceGrpc;
import org.homeserver.api.federation.v1.GetFederationKeysRequest;
import org.homeserver.api.federation.v1.GetFederationKeysResponse;
import org.homeserver.federation.trust.FederationTls;
import org.homeserver.federation.trust.SigningKey;
import org.homeserver.platform.grpc.Protos;
import org.homeserver.platform.testing.TestCertificateAuthority;
import org.homeserver.platform.testing.TestCertificateAuthority.KeyFormat;

/**
 * A peer the test controls: a real certificate for its domain from the federation test CA and a
 * real Ed25519 federation key, which it publishes on its own federation port, so that it can sign
 * requests as a homeserver would, and also sign them wrongly, replay them, or claim another domain.
 */
final class RoguePeer implements AutoCloseable {
  final String domain;
  final SigningKey key;
  private final FederationTls tls;
  private final Server server;

  private RoguePeer(String domain, SigningKey key, FederationTls tls, Server server) {
    this.domain = domain;
    this.key = key;
    this.tls = tls;
    this.server = server;
  }

  /** Listens on {@code port} of loopback as {@code domain}, with a certificate of {@code ca} (whose PEM is {@code caFile}). */
  static RoguePeer start(String domain, int port, TestCertificateAuthority ca, Path caFile, Path dir) throws Exception {
    var issued = ca.issueForDomain(domain);
    issued.writeChain(dir.resolve(domain + ".pem"));
    issued.writeKey(dir.resolve(domain + ".key"), KeyFormat.PKCS8);
    FederationTls tls = FederationTls.load(domain, dir.resolve(domain + ".pem"), dir.resolve(domain + ".key"),
        Optional.of(caFile));
    Instant now = Instant.now();
    SigningKey key = SigningKey.generate(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)));
    Server server = NettyServerBuilder.forAddress(new java.net.InetSocketAddress("127.0.0.1", port))
        .sslContext(tls.serverContext(peer -> true))
        .addService(new FederationServiceGrpc.FederationServiceImplBase() {
          @Override
          public void getFederationKeys(GetFederationKeysRequest request,
                                        StreamObserver<GetFederationKeysResponse> response) {
            response.onNext(GetFederationKeysResponse.newBuilder().setDomain(domain).addKeys(FederationKey.newBuilder()
                .setKeyId(key.keyId()).setPublicKey(ByteString.copyFrom(key.publicKey()))
                .setValidFrom(Protos.timestamp(key.validFrom())).setValidUntil(Protos.timestamp(key.validUntil())))
                .build());
            response.onCompleted();
          }

          @Override
          public void exchangeCapabilities(ExchangeCapabilitiesRequest request,
                                           StreamObserver<ExchangeCapabilitiesResponse> response) {
            response.onNext(ExchangeCapabilitiesResponse.newBuilder().setDomain(domain).addVersions("v1").build());
            response.onCompleted();
          }
        })
        .build().start();
    return new RoguePeer(domain, key, tls, server);
  }

  /** A channel to {@code target}'s federation port, presenting this peer's certificate. */
  ManagedChannel channelTo(String target, int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(tls.clientContext()).overrideAuthority(target)
        .build();
  }

  /** Calls {@code method} with exactly the metadata given. */
  static <Q extends Message, R> R call(ManagedChannel channel, MethodDescriptor<Q, R> method, Q request,
                                       Metadata headers) {
    return ClientCalls.blockingUnaryCall(ClientInterceptors.intercept(channel,
        MetadataUtils.newAttachHeadersInterceptor(headers)), method,
        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), request);
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
