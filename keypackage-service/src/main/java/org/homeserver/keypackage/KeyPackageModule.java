package org.homeserver.keypackage;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.Set;
import org.homeserver.api.auth.v1.AuthInternalServiceGrpc;
import org.homeserver.api.delivery.v1.DeliveryInternalServiceGrpc;
import org.homeserver.api.directory.v1.DirectoryInternalServiceGrpc;
import org.homeserver.api.federation.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.federation.v1.ClaimKeyPackagesResponse;
import org.homeserver.api.federation.v1.ClaimRemoteKeyPackagesRequest;
import org.homeserver.api.federation.v1.FederationInternalServiceGrpc;
import org.homeserver.api.federation.v1.GetRemoteAuthenticationRootsRequest;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesRequest;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.homeserver.platform.ServiceContext;
import org.homeserver.platform.clients.RegisteredClients;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.grpc.DeclaredRules;
import org.homeserver.platform.grpc.ServiceModule;
import org.homeserver.platform.grpc.ServiceParts;

/** The composition root of the KeyPackage store: builds it from the process's context. */
public final class KeyPackageModule {
  public static final String NAME = "keypackage";
  /** The cipher suites clients may publish and claim KeyPackages of (keypackage.proto's defaults). */
  public static final Set<CipherSuite> DEFAULT_SUITES = Set.of(
      CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519,
      CipherSuite.MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
      CipherSuite.MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519);
  /** A full batch of KeyPackages; the framing around them (tags, lengths, the idempotency key) is small. */
  private static final long MAX_REQUEST_BYTES = DeclaredRules.field(PublishKeyPackagesRequest.getDescriptor(),
      PublishKeyPackagesRequest.KEY_PACKAGES_FIELD_NUMBER).getRepeated().getMaxItems()
      * BatchAdmission.MAX_KEY_PACKAGE_BYTES + 64 * 1024;
  /** How far a KeyPackage's lifetime may be off, for clocks that differ. */
  private static final Duration LIFETIME_TOLERANCE = Duration.ofHours(1);
  /** Calls to the other services' internal APIs give up after this long. */
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  /** How often expired idempotency records are deleted. */
  private static final Duration CLEANUP_INTERVAL = Duration.ofMinutes(10);

  private KeyPackageModule() {}

  /** Other homeservers through the federation gateway's internal API; a peer's refusal passes through. */
  private record GatewayPeers(FederationInternalServiceGrpc.FederationInternalServiceBlockingStub federation)
      implements RemoteClaims.Peers {
    @Override
    public ClaimKeyPackagesResponse claim(String destination, ClaimKeyPackagesRequest request) {
      return stub().claimRemoteKeyPackages(ClaimRemoteKeyPackagesRequest.newBuilder().setDestination(destination)
          .setRequest(request).build());
    }

    @Override
    public List<byte[]> authenticationRoots(String domain) {
      return stub().getRemoteAuthenticationRoots(GetRemoteAuthenticationRootsRequest.newBuilder()
          .setDestination(domain).build()).getRootCertificatesList().stream().map(ByteString::toByteArray).toList();
    }

    private FederationInternalServiceGrpc.FederationInternalServiceBlockingStub stub() {
      return federation.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Migrates the keypackage schema and builds the services. */
  public static ServiceModule start(ServiceContext context) {
    ServiceDatabase database = context.openDatabase(NAME);
    try {
      KeyPackageStore store = new KeyPackageStore(database.transactions());
      int threshold = context.config().settings(KeyPackageSettings.SECTION).lowThreshold();
      RegisteredClients registry = RegisteredClients.of(
          AuthInternalServiceGrpc.newBlockingStub(context.channels().channel("auth")), DEADLINE);
      BatchAdmission admission = new BatchAdmission(BatchAdmission.validatorsFor(DEFAULT_SUITES,
          suites -> new KeyPackageValidator(suites, LIFETIME_TOLERANCE, context.clock())), context.domain());
      Publishes publishes = new Publishes(store, admission, registry, threshold, context.clock());
      FederationInternalServiceGrpc.FederationInternalServiceBlockingStub federation =
          FederationInternalServiceGrpc.newBlockingStub(context.channels().channel("federation"));
      RemoteClaims remote = new RemoteClaims(new GatewayPeers(federation),
          new KeyPackageValidator(DEFAULT_SUITES, LIFETIME_TOLERANCE, context.clock()), context.clock());
      Claims claims = new Claims(store, registry,
          new DirectoryClaimRights(DirectoryInternalServiceGrpc.newBlockingStub(context.channels().channel("directory")),
              DEADLINE),
          new DeliveryLowStockNotices(DeliveryInternalServiceGrpc.newBlockingStub(context.channels().channel("delivery")),
              DEADLINE),
          DEFAULT_SUITES, threshold, context.domain(), remote, context.clock());
      return new ServiceParts(NAME, List.of(new KeyPackageGrpcService(publishes, claims)), Set.of(),
          MAX_REQUEST_BYTES, List.of(new KeyPackageInternalGrpcService(publishes, claims, store)), List.of(),
          List.of(context.tasks().every("keypackage-cleanup", CLEANUP_INTERVAL, () ->
              store.deleteIdempotencyRecordsBefore(context.clock().instant().minus(IdempotentRequest.WINDOW)))),
          List.of(database));
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
  }
}
