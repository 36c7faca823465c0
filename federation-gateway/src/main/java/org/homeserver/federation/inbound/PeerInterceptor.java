package org.homeserver.federation.inbound;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLSession;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.federation.v1.FederationServiceGrpc;
import org.homeserver.federation.policy.LivePolicy;
import org.homeserver.federation.trust.FederationTls;
import org.homeserver.federation.trust.RequestSignature;
import org.homeserver.platform.errors.Refusal;

/**
 * Proves who calls the federation port before any handler runs: the peer's certificate (mutual
 * TLS, already checked against the trust anchors) names its domain, the policy must allow it, and
 * the request's signature (federation.proto SIGNATURES) must verify over the bytes that arrived,
 * for an origin the certificate names and a request id not seen before. The handler then finds the
 * domain in {@link CallingPeer}, and the peer's reaching us is reported (it resets our backoff).
 */
final class PeerInterceptor implements ServerInterceptor {
  /** The calls a peer makes before it can verify signatures, answered unsigned (federation.proto). */
  private static final Set<String> UNSIGNED = Set.of(
      FederationServiceGrpc.getGetFederationKeysMethod().getFullMethodName(),
      FederationServiceGrpc.getExchangeCapabilitiesMethod().getFullMethodName());

  /** Verifies a signed request's metadata over its bytes; returns nothing, throws a Refusal. */
  interface SignatureCheck {
    void verify(Metadata headers, String fullMethod, String origin, byte[] request);
  }

  private final LivePolicy policy;
  private final SignatureCheck signatures;
  private final java.util.function.Consumer<String> reached;

  /** @param reached told of each authenticated call, with the peer's domain */
  PeerInterceptor(LivePolicy policy, SignatureCheck signatures, java.util.function.Consumer<String> reached) {
    this.policy = policy;
    this.signatures = signatures;
    this.reached = reached;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                    ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    List<String> certified = certifiedDomains(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    boolean signed = !UNSIGNED.contains(method);
    String origin = signed ? headers.get(RequestSignature.ORIGIN)
        : certified.stream().filter(policy::allows).findFirst().orElse(certified.getFirst());
    if (origin == null) {
      throw Refusal.of(ErrorReason.FEDERATION_SIGNATURE_INVALID, "the call is not signed")
          .with(org.homeserver.platform.errors.Fact.DETAIL, "no " + RequestSignature.ORIGIN.name() + " header");
    }
    if (!certified.contains(origin)) {
      throw Refusal.of(ErrorReason.PEER_DOMAIN_MISMATCH, "the call is signed for " + origin
          + ", but the peer's certificate is for " + String.join(", ", certified));
    }
    if (policy.refuses(origin, LivePolicy.Direction.INBOUND, call.getMethodDescriptor().getBareMethodName())) {
      throw Refusal.of(ErrorReason.FEDERATION_DENIED, "this homeserver does not federate with " + origin);
    }
    Context context = Context.current().withValue(CallingPeer.DOMAIN, origin);
    ServerCall.Listener<Q> listener = Contexts.interceptCall(context, call, headers, next);
    if (!signed) {
      return listener;
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(Q message) {
        byte[] bytes = bytesOf(message);
        signatures.verify(headers, method, origin, bytes);
        reached.accept(origin);
        @SuppressWarnings("unchecked")
        Q again = (Q) new ByteArrayInputStream(bytes);
        super.onMessage(again);
      }
    };
  }

  private static List<String> certifiedDomains(SSLSession session) {
    X509Certificate certificate = java.util.Optional.ofNullable(session).flatMap(FederationTls::peerCertificate)
        .orElseThrow(() ->
        Refusal.of(ErrorReason.PERMISSION_DENIED, "the federation port needs the peer's client certificate"));
    List<String> names = FederationTls.dnsNames(certificate);
    if (names.isEmpty()) {
      throw Refusal.of(ErrorReason.PERMISSION_DENIED, "the peer's certificate names no DNS domain");
    }
    return names;
  }

  private static byte[] bytesOf(Object message) {
    if (!(message instanceof InputStream in)) {
      throw new IllegalStateException("the federation port's interceptors see requests as they arrived");
    }
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
