package org.homeserver.federation;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.auth.v1.AuthInternalServiceGrpc;
import org.homeserver.api.delivery.v1.DeliveryInternalServiceGrpc;
import org.homeserver.api.directory.v1.DirectoryInternalServiceGrpc;
import org.homeserver.api.keypackage.v1.KeyPackageInternalServiceGrpc;
import org.homeserver.federation.discovery.Discovery;
import org.homeserver.federation.inbound.FederationPort;
import org.homeserver.federation.outbound.PeerClient;
import org.homeserver.federation.outbound.PeerKeys;
import org.homeserver.federation.outbound.PeerSenderOverGrpc;
import org.homeserver.federation.outbox.Outbox;
import org.homeserver.federation.outbox.OutboxStore;
import org.homeserver.federation.outbox.OutboxWorker;
import org.homeserver.federation.policy.LivePolicy;
import org.homeserver.federation.policy.Policy;
import org.homeserver.federation.policy.PolicyStore;
import org.homeserver.federation.trust.FederationTls;
import org.homeserver.federation.trust.SeenRequests;
import org.homeserver.federation.trust.SigningKeyStore;
import org.homeserver.platform.ServiceContext;
import org.homeserver.platform.config.ConfigException;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.grpc.ServiceModule;
import org.homeserver.platform.grpc.ServiceParts;
import org.homeserver.platform.ratelimit.RateLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root of the federation gateway: the policy, discovery, peer trust, the client
 * that calls peers, the outbox and its worker, and the federation port; its internal API serves
 * the other services and its admin API the operator.
 */
public final class FederationModule {
  public static final String NAME = "federation";
  private static final Logger log = LoggerFactory.getLogger(FederationModule.class);
  /** Internal and admin requests are small; outbox entries are at most a few MiB (federation.proto SIZES). */
  private static final long MAX_REQUEST_BYTES = 8L * 1024 * 1024;
  /** How often each process compares its policy with the stored one, in case a signal was lost. */
  private static final Duration POLICY_CHECK = Duration.ofSeconds(2);
  /** How often request ids past their replay window are deleted. */
  private static final Duration CLEANUP = Duration.ofMinutes(10);
  /** Calls to the other services' internal APIs for a peer's call give up after this long. */
  private static final Duration INTERNAL_DEADLINE = Duration.ofSeconds(10);
  /** How often the federation certificate and key files are checked for a renewal. */
  private static final Duration TLS_RELOAD = Duration.ofMinutes(1);
  /** User discoveries allowed per peer domain per minute. */
  private static final int DISCOVERIES_PER_MINUTE = 600;

  private FederationModule() {}

  /** Migrates the federation schema and builds the gateway. */
  public static ServiceModule start(ServiceContext context) throws IOException, ConfigException {
    FederationSettings settings = context.config().settings(FederationSettings.SECTION);
    ServiceDatabase database = context.openDatabase(NAME);
    List<AutoCloseable> work = new ArrayList<>();
    List<AutoCloseable> stores = new ArrayList<>(List.of(database));
    try {
      String domain = context.domain();
      OutboxStore outboxStore = new OutboxStore(database.transactions());
      Outbox outbox = new Outbox(outboxStore, context.signals(), context.clock());
      PolicyStore policyStore = new PolicyStore(database.transactions());
      Policy initial = policyStore.loadOrCreate(settings.initialMode(), settings.initialDomains(),
          context.clock().instant());
      LivePolicy policy = new LivePolicy(policyStore, initial, context.signals(), context.clock(), context.meters(),
          allowed -> allowed.forEach(outbox::resetBackoff));
      stores.add(policy);
      work.add(context.tasks().every("federation-policy", POLICY_CHECK, policy::refresh));

      Discovery discovery = new Discovery(settings.peers(), settings.dnsServer(), settings.allowPrivateAddresses(),
          FederationSettings.DEFAULT_PORT, context.clock());
      SigningKeyStore signingKeys = new SigningKeyStore(database.transactions(), context.sealer());
      Optional<FederationTls> tls = FederationTls.of(settings, domain);
      tls.ifPresent(t -> work.add(context.tasks().every("federation-tls-reload", TLS_RELOAD, t::reload)));
      String software = "homeserver " + context.process().version();
      PeerClient peers = new PeerClient(domain, software, discovery, tls.map(FederationTls::clientContext),
          () -> signingKeys.current(context.clock().instant()), policy, context.clock());
      stores.add(peers);

      String processId = "federation-" + UUID.randomUUID();
      OutboxWorker worker = new OutboxWorker(outboxStore, new PeerSenderOverGrpc(peers), policy::allows,
          context.signals(), context.clock(), settings.backoffBase(), context.meters(), processId);
      worker.start();
      work.add(worker);

      SeenRequests seen = new SeenRequests(database.transactions());
      work.add(context.tasks().every("federation-cleanup", CLEANUP,
          () -> seen.deleteExpired(context.clock().instant())));
      if (settings.port() != 0) {
        FederationPort port = FederationPort.start(settings.host(), settings.port(), tls.orElseThrow(), policy,
            new FederationPort.Services(
                AuthInternalServiceGrpc.newBlockingStub(internal(context, "auth")),
                DirectoryInternalServiceGrpc.newBlockingStub(internal(context, "directory")),
                KeyPackageInternalServiceGrpc.newBlockingStub(internal(context, "keypackage")),
                DeliveryInternalServiceGrpc.newBlockingStub(internal(context, "delivery"))),
            new PeerKeys(peers, context.clock()), seen, signingKeys, outbox,
            RateLimiter.of(context.redis(), "federation-discover", DISCOVERIES_PER_MINUTE, Duration.ofMinutes(1),
                context.clock()),
            domain, software, context.meters(), context.clock());
        work.add(port);
        log.info("federation port on {}:{}", settings.host(), port.port());
      }
      return new ServiceParts(NAME, List.of(), Set.of(), MAX_REQUEST_BYTES,
          List.of(new FederationInternalGrpcService(domain, peers, outbox, policy)),
          List.of(new FederationAdminGrpcService(domain, policy, outbox, discovery, settings.peers())),
          work, stores);
    } catch (RuntimeException | IOException | ConfigException e) {
      closeAll(work);
      closeAll(stores);
      throw e;
    }
  }

  /**
   * The internal API of service {@code name}, whose calls end after {@link #INTERNAL_DEADLINE} at
   * the latest, whatever deadline (or none) the peer's call brought.
   */
  private static Channel internal(ServiceContext context, String name) {
    return ClientInterceptors.intercept(context.channels().channel(name), new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return next.newCall(method, options.withDeadlineAfter(INTERNAL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
      }
    });
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (AutoCloseable resource : resources.reversed()) {
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("closing the federation gateway", e);
      }
    }
  }
}
