package org.homeserver.federation;

import static org.homeserver.platform.grpc.Replies.reply;

import io.grpc.stub.StreamObserver;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.homeserver.api.federation.v1.ChangeFederationPolicyRequest;
import org.homeserver.api.federation.v1.ChangeFederationPolicyResponse;
import org.homeserver.api.federation.v1.FederationAdminServiceGrpc;
import org.homeserver.api.federation.v1.FederationMode;
import org.homeserver.api.federation.v1.FederationPolicy;
import org.homeserver.api.federation.v1.GetFederationPolicyRequest;
import org.homeserver.api.federation.v1.GetFederationPolicyResponse;
import org.homeserver.api.federation.v1.ListPeersRequest;
import org.homeserver.api.federation.v1.ListPeersResponse;
import org.homeserver.api.federation.v1.Peer;
import org.homeserver.api.federation.v1.PeerAddressSource;
import org.homeserver.api.federation.v1.ResolvePeerRequest;
import org.homeserver.api.federation.v1.ResolvePeerResponse;
import org.homeserver.api.federation.v1.RetryPeerRequest;
import org.homeserver.api.federation.v1.RetryPeerResponse;
import org.homeserver.api.federation.v1.SetFederationPolicyRequest;
import org.homeserver.api.federation.v1.SetFederationPolicyResponse;
import org.homeserver.federation.FederationSettings.Mode;
import org.homeserver.federation.discovery.Discovery;
import org.homeserver.federation.discovery.Resolution;
import org.homeserver.federation.outbox.OutboxStore.DestinationStatus;
import org.homeserver.federation.outbox.Outbox;
import org.homeserver.federation.policy.LivePolicy;
import org.homeserver.federation.policy.Policy;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.Protos;
import org.homeserver.platform.ids.UserId;

/** The operator's federation admin API (federation_admin.proto). */
final class FederationAdminGrpcService extends FederationAdminServiceGrpc.FederationAdminServiceImplBase {
  private static final int MAX_DOMAINS = 10_000;

  private final String domain;
  private final LivePolicy policy;
  private final Outbox outbox;
  private final Discovery discovery;
  private final Map<String, String> staticPeers;

  FederationAdminGrpcService(String domain, LivePolicy policy, Outbox outbox, Discovery discovery,
                             Map<String, String> staticPeers) {
    this.domain = domain;
    this.policy = policy;
    this.outbox = outbox;
    this.discovery = discovery;
    this.staticPeers = staticPeers;
  }

  @Override
  public void getFederationPolicy(GetFederationPolicyRequest request,
                                  StreamObserver<GetFederationPolicyResponse> response) {
    reply(response, GetFederationPolicyResponse.newBuilder().setPolicy(toProto(policy.current())).build());
  }

  @Override
  public void setFederationPolicy(SetFederationPolicyRequest request,
                                  StreamObserver<SetFederationPolicyResponse> response) {
    Mode mode = switch (request.getMode()) {
      case FEDERATION_MODE_ALLOWLIST -> Mode.ALLOWLIST;
      case FEDERATION_MODE_OPEN -> Mode.OPEN;
      default -> throw Refusal.invalidField("mode", "choose FEDERATION_MODE_ALLOWLIST or FEDERATION_MODE_OPEN");
    };
    if (request.getDomainsCount() > MAX_DOMAINS) {
      throw Refusal.invalidField("domains", "at most " + MAX_DOMAINS + " domains");
    }
    TreeSet<String> domains = new TreeSet<>();
    for (int i = 0; i < request.getDomainsCount(); i++) {
      domains.add(checked(request.getDomains(i), "domains[" + i + "]"));
    }
    reply(response, SetFederationPolicyResponse.newBuilder().setPolicy(toProto(policy.replace(mode, domains))).build());
  }

  @Override
  public void changeFederationPolicy(ChangeFederationPolicyRequest request,
                                     StreamObserver<ChangeFederationPolicyResponse> response) {
    String peer = checked(request.getDomain(), "domain");
    boolean allow = switch (request.getChange()) {
      case POLICY_CHANGE_ALLOW -> true;
      case POLICY_CHANGE_BLOCK -> false;
      default -> throw Refusal.invalidField("change", "choose POLICY_CHANGE_ALLOW or POLICY_CHANGE_BLOCK");
    };
    reply(response, ChangeFederationPolicyResponse.newBuilder().setPolicy(toProto(policy.change(peer, allow))).build());
  }

  @Override
  public void retryPeer(RetryPeerRequest request, StreamObserver<RetryPeerResponse> response) {
    reply(response, RetryPeerResponse.newBuilder().setOutboxDepth(outbox.resetBackoff(checked(request.getDomain(),
        "domain"))).build());
  }

  @Override
  public void resolvePeer(ResolvePeerRequest request, StreamObserver<ResolvePeerResponse> response) {
    String peer = checked(request.getDomain(), "domain");
    Resolution found = discovery.resolveFresh(peer);
    ResolvePeerResponse.Builder out = ResolvePeerResponse.newBuilder().setSource(sourceOf(found))
        .addAllSteps(found.steps()).setAllowed(policy.allows(peer))
        // A static entry is kept until the configuration changes: no expiry to show.
        .setCacheSeconds(found.cacheFor().equals(Resolution.UNTIL_FORGOTTEN) ? 0 : found.cacheFor().toSeconds());
    found.targets().forEach(t -> t.addresses().forEach(a -> out.addAddresses(hostPort(a.getHostAddress(), t.port()))));
    reply(response, out.build());
  }

  @Override
  public void listPeers(ListPeersRequest request, StreamObserver<ListPeersResponse> response) {
    TreeSet<String> known = new TreeSet<>(staticPeers.keySet());
    known.addAll(policy.current().domains());
    known.addAll(outbox.destinations());
    int size = Protos.pageSize(request.getPage());
    List<String> page = known.tailSet(Protos.pagePosition(request.getPage()), false).stream().limit(size).toList();
    Map<String, DestinationStatus> statuses = outbox.status(page);
    ListPeersResponse.Builder out = ListPeersResponse.newBuilder();
    for (String domain : page) {
      Peer.Builder peer = Peer.newBuilder().setDomain(domain).setAllowed(policy.allows(domain));
      discovery.known(domain).ifPresentOrElse(found -> {
        peer.setAddressSource(sourceOf(found));
        found.first().ifPresent(address -> peer.setAddress(hostPort(address.getAddress().getHostAddress(),
            address.getPort())));
      }, () -> Optional.ofNullable(staticPeers.get(domain)).ifPresent(address -> peer.setAddress(address)
          .setAddressSource(PeerAddressSource.PEER_ADDRESS_SOURCE_STATIC)));
      Optional.ofNullable(statuses.get(domain)).ifPresent(status -> {
        peer.setOutboxDepth(status.depth()).setConsecutiveFailures(status.consecutiveFailures())
            .setLastError(status.lastError().orElse(""));
        status.oldestPendingAt().ifPresent(t -> peer.setOldestPendingAt(Protos.timestamp(t)));
        status.lastSuccessAt().ifPresent(t -> peer.setLastSuccessAt(Protos.timestamp(t)));
        status.lastErrorAt().ifPresent(t -> peer.setLastErrorAt(Protos.timestamp(t)));
        status.nextAttemptAt().ifPresent(t -> peer.setNextAttemptAt(Protos.timestamp(t)));
      });
      out.addPeers(peer);
    }
    boolean more = page.size() == size && known.higher(page.getLast()) != null;
    reply(response, out.setPage(Protos.nextPage(more, page.isEmpty() ? "" : page.getLast())).build());
  }

  private String checked(String peer, String field) {
    String normalised = peer.trim().toLowerCase(Locale.ROOT);
    if (!UserId.isDomain(normalised)) {
      throw Refusal.invalidField(field, "not a domain: " + peer);
    }
    if (normalised.equals(domain)) {
      throw Refusal.invalidField(field, normalised + " is this homeserver's own domain");
    }
    return normalised;
  }

  private static PeerAddressSource sourceOf(Resolution found) {
    return switch (found.source()) {
      case STATIC -> PeerAddressSource.PEER_ADDRESS_SOURCE_STATIC;
      case DNS_SRV -> PeerAddressSource.PEER_ADDRESS_SOURCE_DNS_SRV;
      case DEFAULT_PORT -> PeerAddressSource.PEER_ADDRESS_SOURCE_DEFAULT_PORT;
      case UNRESOLVED -> PeerAddressSource.PEER_ADDRESS_SOURCE_UNRESOLVED;
    };
  }

  private static String hostPort(String host, int port) {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  static FederationPolicy toProto(Policy policy) {
    return FederationPolicy.newBuilder()
        .setMode(policy.mode() == Mode.ALLOWLIST ? FederationMode.FEDERATION_MODE_ALLOWLIST
            : FederationMode.FEDERATION_MODE_OPEN)
        .addAllDomains(policy.domains()).setUpdatedAt(Protos.timestamp(policy.updatedAt())).build();
  }

}
