package org.homeserver.federation.outbound;

import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.federation.v1.ExchangeCapabilitiesRequest;
import org.homeserver.api.federation.v1.ExchangeCapabilitiesResponse;
import org.homeserver.api.federation.v1.FederationServiceGrpc;
import org.homeserver.federation.discovery.Discovery;
import org.homeserver.federation.discovery.Resolution;
import org.homeserver.federation.policy.LivePolicy;
import org.homeserver.federation.trust.RequestSignature;
import org.homeserver.federation.trust.SigningKey;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.ErrorStatus;

/**
 * Calls other homeservers' federation API: finds the peer (discovery), connects over mutual TLS
 * expecting a certificate for its domain, signs the request, and applies the policy first. A
 * peer's own refusal is passed back unchanged; a peer that cannot be found or does not answer is
 * UNAVAILABLE / FEDERATION_PEER_UNKNOWN.
 */
public final class PeerClient implements AutoCloseable {
  /** How long one call to a peer may take. */
  static final Duration DEADLINE = Duration.ofSeconds(10);

  /** The federation API versions this homeserver speaks. */
  public static final List<String> VERSIONS = List.of("v1");

  private final String domain;
  private final String software;
  private final Discovery discovery;
  private final Optional<SslContext> tls;
  private final Supplier<SigningKey> signingKey;
  private final LivePolicy policy;
  private final Clock clock;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  public PeerClient(String domain, String software, Discovery discovery, Optional<SslContext> tls,
                    Supplier<SigningKey> signingKey, LivePolicy policy, Clock clock) {
    this.domain = domain;
    this.software = software;
    this.discovery = discovery;
    this.tls = tls;
    this.signingKey = signingKey;
    this.policy = policy;
    this.clock = clock;
  }

  /** Calls {@code method} of {@code destination}, signed. */
  public <Q extends Message, R> R call(String destination, MethodDescriptor<Q, R> method, Q request) {
    return call(destination, method, request, true);
  }

  /** Calls {@code method} of {@code destination}; unsigned only for the calls the contract leaves unsigned. */
  public <Q extends Message, R> R call(String destination, MethodDescriptor<Q, R> method, Q request, boolean signed) {
    if (destination.equals(domain)) {
      throw Refusal.invalid(destination + " is this homeserver's own domain");
    }
    if (policy.refuses(destination, LivePolicy.Direction.OUTBOUND, method.getBareMethodName())) {
      throw Refusal.of(ErrorReason.FEDERATION_DENIED, "this homeserver does not federate with " + destination);
    }
    ManagedChannel channel = channel(destination);
    Metadata headers = signed
        ? RequestSignature.sign(signingKey.get(), method.getFullMethodName(), domain, destination, request.toByteArray(),
            clock.instant())
        : new Metadata();
    try {
      return ClientCalls.blockingUnaryCall(
          ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)), method,
          CallOptions.DEFAULT.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS), request);
    } catch (StatusRuntimeException e) {
      if (ErrorStatus.errorInfo(e).filter(i -> i.getReason().equals(ErrorReason.FEDERATION_DENIED.name())).isPresent()) {
        // Said by the peer of itself: passed on as the caller's client must read it.
        throw Refusal.of(ErrorReason.FEDERATION_DENIED, destination + " does not federate with " + domain);
      }
      if (ErrorStatus.errorInfo(e).filter(i -> i.getDomain().equals(ErrorStatus.DOMAIN)).isPresent()) {
        throw e;
      }
      if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
        // The address may have changed: find the peer again next time.
        forget(destination);
      }
      throw Refusal.of(ErrorReason.FEDERATION_PEER_UNKNOWN, destination + " did not answer: " + describe(e));
    }
  }

  /** A failed call in a few words, e.g. "UNAVAILABLE: io exception". */
  public static String describe(StatusRuntimeException e) {
    String text = e.getStatus().getCode() + (e.getStatus().getDescription() == null ? ""
        : ": " + e.getStatus().getDescription());
    return text.length() > 300 ? text.substring(0, 300) : text;
  }

  private ManagedChannel channel(String destination) {
    ManagedChannel open = channels.get(destination);
    if (open != null) {
      return open;
    }
    Resolution resolution = discovery.resolve(destination);
    InetSocketAddress address = resolution.first().orElseThrow(() -> Refusal.of(ErrorReason.FEDERATION_PEER_UNKNOWN,
        "no homeserver found for " + destination + ": " + String.join("; ", resolution.steps())));
    ManagedChannel created = NettyChannelBuilder.forAddress(address).sslContext(tls.orElseThrow(() -> Refusal.of(
            ErrorReason.FEDERATION_PEER_UNKNOWN, "this homeserver has no federation certificate "
                + "(federation.certificate-file), so it cannot reach " + destination)))
        .overrideAuthority(destination).maxInboundMessageSize(16 * 1024 * 1024).idleTimeout(5, TimeUnit.MINUTES)
        .build();
    try {
      requireCommonVersion(destination, created);
    } catch (RuntimeException e) {
      created.shutdownNow();
      throw e;
    }
    ManagedChannel raced = channels.putIfAbsent(destination, created);
    if (raced != null) {
      created.shutdownNow();
      return raced;
    }
    return created;
  }

  /** Asks a new peer what it speaks (ExchangeCapabilities) before anything else; it must serve v1. */
  private void requireCommonVersion(String destination, ManagedChannel channel) {
    ExchangeCapabilitiesResponse spoken;
    try {
      spoken = FederationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE.toMillis(),
          TimeUnit.MILLISECONDS).exchangeCapabilities(ExchangeCapabilitiesRequest.newBuilder()
          .addAllVersions(VERSIONS).setSoftware(software).build());
    } catch (StatusRuntimeException e) {
      if (ErrorStatus.errorInfo(e).filter(i -> i.getDomain().equals(ErrorStatus.DOMAIN)).isPresent()) {
        throw e;
      }
      discovery.forget(destination);
      throw Refusal.of(ErrorReason.FEDERATION_PEER_UNKNOWN, destination + " did not answer: " + describe(e));
    }
    if (!spoken.getDomain().equals(destination) || spoken.getVersionsList().stream().noneMatch(VERSIONS::contains)) {
      throw Refusal.of(ErrorReason.FEDERATION_PEER_UNKNOWN, destination + " speaks federation "
          + spoken.getVersionsList() + " as " + spoken.getDomain() + "; this homeserver speaks " + VERSIONS);
    }
  }

  /** Drops the connection to {@code destination} and what discovery knew of it. */
  public void forget(String destination) {
    ManagedChannel channel = channels.remove(destination);
    if (channel != null) {
      channel.shutdown();
    }
    discovery.forget(destination);
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
  }
}
