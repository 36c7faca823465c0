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
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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

  /** The refusals a peer may give, which reach the caller as the peer gave them (federation.proto). */
  private static final Set<ErrorReason> PEER_REASONS = EnumSet.of(ErrorReason.INVALID_ARGUMENT,
      ErrorReason.RATE_LIMITED, ErrorReason.REQUEST_TOO_LARGE, ErrorReason.IDEMPOTENCY_KEY_REUSED,
      ErrorReason.UNAVAILABLE, ErrorReason.INTERNAL, ErrorReason.USER_NOT_FOUND, ErrorReason.CLIENT_NOT_FOUND,
      ErrorReason.CONNECTION_EXISTS, ErrorReason.CONNECTION_NOT_FOUND, ErrorReason.NOT_CONNECTED,
      ErrorReason.CLAIM_RIGHT_USED, ErrorReason.NO_KEY_PACKAGE, ErrorReason.KEY_PACKAGE_INVALID,
      ErrorReason.DOMAIN_NOT_LOCAL, ErrorReason.PEER_DOMAIN_MISMATCH, ErrorReason.FEDERATION_SIGNATURE_INVALID,
      ErrorReason.FEDERATION_REPLAYED, ErrorReason.GROUP_NOT_FOUND, ErrorReason.GROUP_EXISTS, ErrorReason.NOT_A_MEMBER,
      ErrorReason.WRONG_EPOCH, ErrorReason.MLS_MESSAGE_MALFORMED, ErrorReason.WIRE_FORMAT_NOT_ALLOWED,
      ErrorReason.PROPOSAL_NOT_FOUND, ErrorReason.ADD_NOT_ALLOWED, ErrorReason.WELCOME_MISMATCH,
      ErrorReason.GROUP_INFO_UNAVAILABLE, ErrorReason.GROUP_RULE_BROKEN, ErrorReason.ADD_DOMAIN_FORBIDDEN,
      ErrorReason.KEY_PACKAGE_NOT_CLAIMED);

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
      throw translated(destination, e);
    }
  }

  /**
   * A peer's failure as this homeserver's caller gets it: the peer's own refusal when it is one the
   * federation contract lets a peer give (a peer cannot make a client believe its token expired), its
   * FEDERATION_DENIED told as the peer's, and anything else UNAVAILABLE / FEDERATION_PEER_UNKNOWN.
   */
  private RuntimeException translated(String destination, StatusRuntimeException e) {
    Optional<ErrorReason> reason = ErrorStatus.errorInfo(e).filter(i -> i.getDomain().equals(ErrorStatus.DOMAIN))
        .flatMap(i -> Arrays.stream(ErrorReason.values()).filter(r -> r.name().equals(i.getReason())).findFirst());
    if (reason.filter(r -> r == ErrorReason.FEDERATION_DENIED).isPresent()) {
      return Refusal.of(ErrorReason.FEDERATION_DENIED, destination + " does not federate with " + domain);
    }
    if (reason.filter(PEER_REASONS::contains).isPresent()) {
      return e;
    }
    if (reason.isPresent()) {
      return Refusal.of(ErrorReason.FEDERATION_PEER_UNKNOWN, destination + " answered " + reason.get()
          + ", which is not an answer of the federation API");
    }
    if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
      // The address may have changed: find the peer again next time.
      forget(destination);
    }
    return Refusal.of(ErrorReason.FEDERATION_PEER_UNKNOWN, destination + " did not answer: " + describe(e));
  }

  /** A failed call in a few words on one line, e.g. "UNAVAILABLE: io exception". */
  public static String describe(StatusRuntimeException e) {
    String text = (e.getStatus().getCode() + (e.getStatus().getDescription() == null ? ""
        : ": " + e.getStatus().getDescription())).replaceAll("\\s+", " ");
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
      discovery.forget(destination);
      throw translated(destination, e);
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
