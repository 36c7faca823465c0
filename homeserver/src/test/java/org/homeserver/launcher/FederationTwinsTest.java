package org.homeserver.launcher;

import static org.homeserver.launcher.Failures.assertFails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status.Code;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.AcceptEventRequest;
import org.homeserver.api.delivery.v1.DeliveryInternalServiceGrpc;
import org.homeserver.api.delivery.v1.GroupDeleted;
import org.homeserver.api.delivery.v1.ProfileChanged;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.directory.v1.AcceptConnectionRequest;
import org.homeserver.api.directory.v1.BlockUserRequest;
import org.homeserver.api.directory.v1.DeleteAccountRequest;
import org.homeserver.api.directory.v1.DirectoryInternalServiceGrpc;
import org.homeserver.api.directory.v1.GetRelationshipsRequest;
import org.homeserver.api.directory.v1.ListConnectionRequestsRequest;
import org.homeserver.api.directory.v1.ReceiveConnectionRequestRequest;
import org.homeserver.api.directory.v1.ReceiveConnectionUpdateRequest;
import org.homeserver.api.directory.v1.Relationship;
import org.homeserver.api.directory.v1.RequestConnectionRequest;
import org.homeserver.api.directory.v1.RequestDirection;
import org.homeserver.api.directory.v1.SetDisplayNameRequest;
import org.homeserver.api.federation.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.federation.v1.ClaimKeyPackagesResponse;
import org.homeserver.api.federation.v1.ClaimRemoteKeyPackagesRequest;
import org.homeserver.api.federation.v1.GetAuthenticationRootsResponse;
import org.homeserver.api.federation.v1.GetRemoteAuthenticationRootsRequest;
import org.homeserver.api.keypackage.v1.ClaimedKeyPackage;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.auth.CertificateAuthority;
import org.homeserver.auth.IssuedCredential;
import org.homeserver.auth.TestSigningKey;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.Credential;
import org.homeserver.platform.ids.ClientIdentity;
import java.time.Instant;
import org.homeserver.api.federation.v1.ConnectionUpdateKind;
import org.homeserver.api.federation.v1.DeliverConnectionRequestRequest;
import org.homeserver.api.federation.v1.DeliverConnectionRequestResponse;
import org.homeserver.api.federation.v1.DeliverConnectionUpdateRequest;
import org.homeserver.api.federation.v1.DeliverEventRequest;
import org.homeserver.api.federation.v1.EnqueueRequest;
import org.homeserver.api.federation.v1.EnqueueResponse;
import org.homeserver.api.federation.v1.FederationInternalServiceGrpc;
import org.homeserver.api.federation.v1.SendConnectionRequestRequest;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesForPeerRequest;
import org.homeserver.api.keypackage.v1.GetKeyPackageCountRequest;
import org.homeserver.api.keypackage.v1.KeyPackageInternalServiceGrpc;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesRequest;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.platform.db.PostgresLocation;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.ErrorStatus;
import org.homeserver.platform.grpc.SharedTokenInterceptor;
import org.homeserver.platform.testing.TestPostgres;
import org.homeserver.platform.testing.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The services' federated twins, as the federation gateway will call them and be called by them:
 * the internal APIs over the network, and in place of the gateway a stand-in on a real port that
 * records what the services ask of other homeservers.
 */
class FederationTwinsTest {
  private static final String INTERNAL_TOKEN = "internal-token-0123456789abcdefghijklmnop";
  private static final String PEER = "other.example";
  private static final CipherSuite REMOTE_SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

  private static PostgresLocation database;
  private static TestHomeserver hs;
  private static ManagedChannel channel;
  private static Server gatewayServer;
  private static final StandInGateway gateway = new StandInGateway();
  private static DirectoryInternalServiceGrpc.DirectoryInternalServiceBlockingStub directory;
  private static KeyPackageInternalServiceGrpc.KeyPackageInternalServiceBlockingStub keyPackages;
  private static DeliveryInternalServiceGrpc.DeliveryInternalServiceBlockingStub delivery;

  /** The federation gateway's internal API as a test double of the gateway (not of any store): it records calls. */
  static final class StandInGateway extends FederationInternalServiceGrpc.FederationInternalServiceImplBase {
    final List<SendConnectionRequestRequest> requests = new CopyOnWriteArrayList<>();
    final List<EnqueueRequest> enqueued = new CopyOnWriteArrayList<>();
    /** The refusal the peer gives connection requests, if any. */
    volatile Refusal refuseRequests;
    final List<ClaimRemoteKeyPackagesRequest> claims = new CopyOnWriteArrayList<>();
    /** What the peer hands out for a claim. */
    volatile ClaimKeyPackagesResponse claimAnswer = ClaimKeyPackagesResponse.getDefaultInstance();
    /** The peer's AS roots. */
    volatile List<ByteString> roots = List.of();

    @Override
    public void claimRemoteKeyPackages(ClaimRemoteKeyPackagesRequest request,
        StreamObserver<ClaimKeyPackagesResponse> response) {
      claims.add(request);
      response.onNext(claimAnswer);
      response.onCompleted();
    }

    @Override
    public void getRemoteAuthenticationRoots(GetRemoteAuthenticationRootsRequest request,
        StreamObserver<GetAuthenticationRootsResponse> response) {
      response.onNext(GetAuthenticationRootsResponse.newBuilder().setDomain(request.getDestination())
          .addAllRootCertificates(roots).build());
      response.onCompleted();
    }

    @Override
    public void sendConnectionRequest(SendConnectionRequestRequest request,
        StreamObserver<DeliverConnectionRequestResponse> response) {
      if (refuseRequests != null) {
        response.onError(ErrorStatus.toStatus(refuseRequests));
        return;
      }
      requests.add(request);
      response.onNext(DeliverConnectionRequestResponse.getDefaultInstance());
      response.onCompleted();
    }

    @Override
    public void enqueue(EnqueueRequest request, StreamObserver<EnqueueResponse> response) {
      enqueued.add(request);
      response.onNext(EnqueueResponse.newBuilder().setEntryId(UUID.randomUUID().toString()).build());
      response.onCompleted();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    gatewayServer = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(gateway).build()
        .start();
    database = TestPostgres.freshDatabase();
    var config = TestHomeserver.configFor(database.jdbcUrl(), Files.createTempDirectory("hs-test"),
        Map.of("redis.url", TestRedis.URL, "redis.key-prefix", "hs-test-" + UUID.randomUUID() + ":",
            "internal.token", INTERNAL_TOKEN,
            "services.federation.address", "127.0.0.1:" + gatewayServer.getPort()));
    hs = TestHomeserver.start(config, List.of("auth", "directory", "keypackage", "delivery", "notifier"));
    for (String handle : List.of("tina", "vera", "uma", "walt", "xena", "kim", "lena", "mia", "lou", "nia", "olga", "yves", "zoe")) {
      hs.registerUser(handle);
    }
    channel = NettyChannelBuilder.forAddress("127.0.0.1", config.internal().port()).usePlaintext()
        .intercept(SharedTokenInterceptor.sending(INTERNAL_TOKEN)).build();
    directory = DirectoryInternalServiceGrpc.newBlockingStub(channel);
    keyPackages = KeyPackageInternalServiceGrpc.newBlockingStub(channel);
    delivery = DeliveryInternalServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow();
    hs.close();
    gatewayServer.shutdownNow();
  }

  private static String remote(String handle) {
    return "mimi://" + PEER + "/u/" + handle;
  }

  private static String key() {
    return "k-" + UUID.randomUUID();
  }

  private static void receiveRequest(String requester, String target, String key) {
    directory.receiveConnectionRequest(ReceiveConnectionRequestRequest.newBuilder().setPeerDomain(PEER)
        .setRequest(DeliverConnectionRequestRequest.newBuilder().setRequesterUserId(requester)
            .setTargetUserId(target).setIdempotencyKey(key)).build());
  }

  private static List<ServerEvent> events(TestMember member) {
    return member.drain().stream().filter(QueueEntry::hasEvent).map(QueueEntry::getEvent).toList();
  }

  private static int incoming(TestMember member) {
    return member.directory().listConnectionRequests(ListConnectionRequestsRequest.newBuilder()
        .setDirection(RequestDirection.REQUEST_DIRECTION_INCOMING).build()).getRequestsCount();
  }

  @Test
  void aFederatedRequestIsRecordedOnceAndTellsTheTarget() {
    TestMember tina = TestMember.register(hs, "tina");
    String key = key();
    receiveRequest(remote("rob"), tina.client.userId(), key);
    receiveRequest(remote("rob"), tina.client.userId(), key);

    assertEquals(1, incoming(tina));
    List<ServerEvent> events = events(tina);
    assertEquals(1, events.size(), "a retry under the same key tells no one again");
    assertEquals(remote("rob"), events.getFirst().getConnectionRequested().getRequesterUserId());
    var seen = directory.getRelationships(GetRelationshipsRequest.newBuilder().setUserId(remote("rob"))
        .addOtherUserIds(tina.client.userId()).build()).getRelationships(0);
    assertEquals(Relationship.RELATIONSHIP_REQUEST_SENT, seen.getRelationship());
    assertTrue(seen.getClaimRightAvailable());
  }

  @Test
  void aFederatedRequestWithIdsOfTheWrongDomainsChangesNothing() {
    TestMember vera = TestMember.register(hs, "vera");
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PEER_DOMAIN_MISMATCH,
        () -> receiveRequest("mimi://third.example/u/rob", vera.client.userId(), key()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.DOMAIN_NOT_LOCAL,
        () -> receiveRequest(remote("rob"), remote("vera"), key()));
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PEER_DOMAIN_MISMATCH, () -> directory.receiveConnectionUpdate(
        ReceiveConnectionUpdateRequest.newBuilder().setPeerDomain(PEER).setRequest(DeliverConnectionUpdateRequest
            .newBuilder().setActingUserId(vera.client.userId()).setOtherUserId(vera.client.userId())
            .setKind(ConnectionUpdateKind.CONNECTION_UPDATE_KIND_REMOVED).setIdempotencyKey(key())).build()));
    assertEquals(0, incoming(vera));
    assertEquals(List.of(), events(vera));
  }

  @Test
  void aRemoteRejectionRemovesTheLocalRequestAndTellsTheRequester() {
    TestMember uma = TestMember.register(hs, "uma");
    TestMember umaOther = TestMember.register(hs, "uma");
    String clientKey = key();
    uma.directory().requestConnection(RequestConnectionRequest.newBuilder().setTargetUserId(remote("rita"))
        .setIdempotencyKey(clientKey).build());
    SendConnectionRequestRequest sent = gateway.requests.stream()
        .filter(r -> r.getRequest().getRequesterUserId().equals(uma.client.userId())).findFirst().orElseThrow();
    assertEquals(PEER, sent.getDestination());
    assertEquals(remote("rita"), sent.getRequest().getTargetUserId());
    events(umaOther);

    directory.receiveConnectionUpdate(ReceiveConnectionUpdateRequest.newBuilder().setPeerDomain(PEER)
        .setRequest(DeliverConnectionUpdateRequest.newBuilder().setActingUserId(remote("rita"))
            .setOtherUserId(uma.client.userId()).setKind(ConnectionUpdateKind.CONNECTION_UPDATE_KIND_REJECTED)
            .setIdempotencyKey(key())).build());

    assertEquals(0, uma.directory().listConnectionRequests(ListConnectionRequestsRequest.newBuilder()
        .setDirection(RequestDirection.REQUEST_DIRECTION_OUTGOING).build()).getRequestsCount());
    List<ServerEvent> events = events(umaOther);
    assertEquals(1, events.size());
    assertEquals(remote("rita"), events.getFirst().getConnectionRejected().getTargetUserId());
  }

  @Test
  void aPeersRefusalOfARequestReachesTheClientAndNothingIsWritten() {
    TestMember walt = TestMember.register(hs, "walt");
    gateway.refuseRequests = Refusal.of(ErrorReason.USER_NOT_FOUND, "no such user");
    try {
      assertFails(Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND, () -> walt.directory().requestConnection(
          RequestConnectionRequest.newBuilder().setTargetUserId(remote("nobody")).build()));
    } finally {
      gateway.refuseRequests = null;
    }
    assertEquals(0, walt.directory().listConnectionRequests(ListConnectionRequestsRequest.newBuilder()
        .setDirection(RequestDirection.REQUEST_DIRECTION_OUTGOING).build()).getRequestsCount());
  }

  @Test
  void acceptingARemoteRequestEnqueuesOneUpdateAndAProfileChangeReachesTheRemoteUser() {
    TestMember xena = TestMember.register(hs, "xena");
    receiveRequest(remote("sam"), xena.client.userId(), key());
    xena.directory().acceptConnection(AcceptConnectionRequest.newBuilder().setRequesterUserId(remote("sam")).build());
    List<EnqueueRequest> accepted = gateway.enqueued.stream().filter(e -> e.hasConnectionUpdate()
        && e.getConnectionUpdate().getActingUserId().equals(xena.client.userId())).toList();
    assertEquals(1, accepted.size());
    assertEquals(PEER, accepted.getFirst().getDestination());
    assertEquals(ConnectionUpdateKind.CONNECTION_UPDATE_KIND_ACCEPTED, accepted.getFirst().getConnectionUpdate().getKind());

    xena.directory().setDisplayName(SetDisplayNameRequest.newBuilder().setDisplayName("Xena").build());
    List<DeliverEventRequest> forwarded = gateway.enqueued.stream().filter(EnqueueRequest::hasEvent)
        .map(EnqueueRequest::getEvent)
        .filter(e -> e.getProfileChanged().getUserId().equals(xena.client.userId())).toList();
    assertEquals(1, forwarded.size());
    assertEquals(List.of(remote("sam")), forwarded.getFirst().getUserIdsList());
    assertEquals("Xena", forwarded.getFirst().getProfileChanged().getDisplayName());
  }

  private static void receiveUpdate(String acting, String other, ConnectionUpdateKind kind, String key) {
    directory.receiveConnectionUpdate(ReceiveConnectionUpdateRequest.newBuilder().setPeerDomain(PEER)
        .setRequest(DeliverConnectionUpdateRequest.newBuilder().setActingUserId(acting).setOtherUserId(other)
            .setKind(kind).setIdempotencyKey(key)).build());
  }

  private static List<DeliverConnectionUpdateRequest> updatesBy(String acting) {
    return gateway.enqueued.stream().filter(EnqueueRequest::hasConnectionUpdate)
        .map(EnqueueRequest::getConnectionUpdate).filter(u -> u.getActingUserId().equals(acting)).toList();
  }

  @Test
  void aRemoteAcceptanceConnectsOnceAndAKeyReusedForAnotherChangeIsRefused() {
    TestMember yves = TestMember.register(hs, "yves");
    TestMember yvesOther = TestMember.register(hs, "yves");
    yves.directory().requestConnection(RequestConnectionRequest.newBuilder().setTargetUserId(remote("ada")).build());
    events(yvesOther);
    String key = key();
    receiveUpdate(remote("ada"), yves.client.userId(), ConnectionUpdateKind.CONNECTION_UPDATE_KIND_ACCEPTED, key);
    receiveUpdate(remote("ada"), yves.client.userId(), ConnectionUpdateKind.CONNECTION_UPDATE_KIND_ACCEPTED, key);
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.IDEMPOTENCY_KEY_REUSED, () -> receiveUpdate(remote("ada"),
        yves.client.userId(), ConnectionUpdateKind.CONNECTION_UPDATE_KIND_REMOVED, key));

    assertEquals(Relationship.RELATIONSHIP_CONNECTED, directory.getRelationships(GetRelationshipsRequest.newBuilder()
        .setUserId(yves.client.userId()).addOtherUserIds(remote("ada")).build()).getRelationships(0).getRelationship());
    List<ServerEvent> events = events(yvesOther);
    assertEquals(1, events.size());
    assertEquals(remote("ada"), events.getFirst().getConnectionAccepted().getTargetUserId());
  }

  @Test
  void blockingAConnectedRemoteUserTellsItsHomeserverOfTheRemovalOnly() {
    TestMember zoe = TestMember.register(hs, "zoe");
    receiveRequest(remote("bea"), zoe.client.userId(), key());
    zoe.directory().acceptConnection(AcceptConnectionRequest.newBuilder().setRequesterUserId(remote("bea")).build());
    zoe.directory().blockUser(BlockUserRequest.newBuilder().setUserId(remote("bea")).build());

    assertEquals(List.of(ConnectionUpdateKind.CONNECTION_UPDATE_KIND_ACCEPTED,
            ConnectionUpdateKind.CONNECTION_UPDATE_KIND_REMOVED),
        updatesBy(zoe.client.userId()).stream().map(DeliverConnectionUpdateRequest::getKind).toList());
    assertEquals(Relationship.RELATIONSHIP_BLOCKED, directory.getRelationships(GetRelationshipsRequest.newBuilder()
        .setUserId(zoe.client.userId()).addOtherUserIds(remote("bea")).build()).getRelationships(0).getRelationship());
  }

  @Test
  void aDeletedAccountIsReportedToLinkedUsersOfOtherDomains() {
    hs.registerUser("quinn");
    TestMember quinn = TestMember.register(hs, "quinn");
    receiveRequest(remote("cleo"), quinn.client.userId(), key());
    quinn.directory().deleteAccount(DeleteAccountRequest.newBuilder().setPassword(TestHomeserver.PASSWORD).build());

    List<EnqueueRequest> reported = gateway.enqueued.stream().filter(e -> e.hasEvent()
        && e.getEvent().getUserDeleted().getUserId().equals(quinn.client.userId())).toList();
    assertEquals(1, reported.size());
    assertEquals(PEER, reported.getFirst().getDestination());
    assertEquals(List.of(remote("cleo")), reported.getFirst().getEvent().getUserIdsList());
  }

  private static ClaimKeyPackagesResponse claimForPeer(String claimer, String userId, int suite, String key) {
    return keyPackages.claimKeyPackagesForPeer(ClaimKeyPackagesForPeerRequest.newBuilder().setPeerDomain(PEER)
        .setRequest(ClaimKeyPackagesRequest.newBuilder().setClaimerUserId(claimer).setUserId(userId)
            .setCipherSuite(suite).setIdempotencyKey(key)).build()).getResponse();
  }

  private static int peerClaims(String clientId) throws Exception {
    try (Connection c = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
         PreparedStatement q = c.prepareStatement(
             "select count(*) from keypackage.peer_claims where domain = ? and client_id = ?")) {
      q.setString(1, PEER);
      q.setString(2, clientId);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  @Test
  void aPeersClaimUnderAClaimRightIsAnsweredOnceAndRecorded() throws Exception {
    TestMember kim = TestMember.register(hs, "kim");
    kim.publishKeyPackages(hs, 3);
    receiveRequest(remote("rob"), kim.client.userId(), key());
    String key = key();

    ClaimKeyPackagesResponse first = claimForPeer(remote("rob"), kim.client.userId(), kim.suite.code(), key);
    ClaimKeyPackagesResponse again = claimForPeer(remote("rob"), kim.client.userId(), kim.suite.code(), key);

    assertEquals(1, first.getKeyPackagesCount());
    assertFalse(first.getKeyPackages(0).getKept());
    assertEquals(first, again, "a retry under the same key gets the same KeyPackages");
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.CLAIM_RIGHT_USED,
        () -> claimForPeer(remote("rob"), kim.client.userId(), kim.suite.code(), key()));
    assertEquals(2, kim.keyPackages().getKeyPackageCount(GetKeyPackageCountRequest.getDefaultInstance())
        .getCounts(0).getCount());
    assertEquals(1, peerClaims(kim.id()));
  }

  @Test
  void aPeersClaimOfAConnectedUserKeepsTheLastResortKeyPackage() throws Exception {
    TestMember lena = TestMember.register(hs, "lena");
    var lastResort = TestKeyPackages.create(lena.suite, lena.credential(), lena.signingKey(),
        hs.clock.instant().minus(Duration.ofHours(1)), hs.clock.instant().plus(Duration.ofDays(30)),
        List.of(TestKeyPackages.lastResort()));
    lena.keyPackages().publishKeyPackages(PublishKeyPackagesRequest.newBuilder()
        .addKeyPackages(ByteString.copyFrom(TestKeyPackages.encodeAsMessage(lastResort))).build());
    receiveRequest(remote("ted"), lena.client.userId(), key());
    lena.directory().acceptConnection(AcceptConnectionRequest.newBuilder().setRequesterUserId(remote("ted")).build());

    ClaimKeyPackagesResponse first = claimForPeer(remote("ted"), lena.client.userId(), lena.suite.code(), key());
    ClaimKeyPackagesResponse second = claimForPeer(remote("ted"), lena.client.userId(), lena.suite.code(), key());

    assertTrue(first.getKeyPackages(0).getKept());
    assertEquals(first.getKeyPackages(0).getKeyPackage(), second.getKeyPackages(0).getKeyPackage());
    assertTrue(lena.keyPackages().getKeyPackageCount(GetKeyPackageCountRequest.getDefaultInstance())
        .getCounts(0).getHasLastResort());
    assertEquals(2, peerClaims(lena.id()));
  }

  @Test
  void aPeersClaimWithIdsOfTheWrongDomainsIsRefused() {
    TestMember mia = TestMember.register(hs, "mia");
    mia.publishKeyPackages(hs, 2);
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PEER_DOMAIN_MISMATCH,
        () -> claimForPeer("mimi://third.example/u/rob", mia.client.userId(), mia.suite.code(), key()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.DOMAIN_NOT_LOCAL,
        () -> claimForPeer(remote("rob"), remote("mia"), mia.suite.code(), key()));
    assertFails(Code.PERMISSION_DENIED, ErrorReason.NOT_CONNECTED,
        () -> claimForPeer(remote("rob"), mia.client.userId(), mia.suite.code(), key()));
    assertEquals(2, mia.keyPackages().getKeyPackageCount(GetKeyPackageCountRequest.getDefaultInstance())
        .getCounts(0).getCount());
  }

  /** A KeyPackage of a new client of {@code handle} on the peer, with a credential {@code authority} issued. */
  private static ClaimedKeyPackage remoteKeyPackage(CertificateAuthority authority, String handle, String forClient) {
    Instant now = hs.clock.instant();
    TestSigningKey key = TestSigningKey.generate(SignatureScheme.ED25519);
    ClientIdentity identity = new ClientIdentity(PEER, handle, UUID.randomUUID());
    IssuedCredential credential = authority.issueClientCertificate(identity, key.signatureKey(),
        now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)));
    var keyPackage = TestKeyPackages.create(REMOTE_SUITE, new Credential.X509(credential.chain()),
        new TestKeyPackages.SigningKey(REMOTE_SUITE.signatureScheme(), key.privateKey(),
            key.signatureKey().publicKey()), now);
    return ClaimedKeyPackage.newBuilder().setClientId(forClient == null ? identity.clientId() : forClient)
        .setKeyPackage(ByteString.copyFrom(TestKeyPackages.encodeAsMessage(keyPackage))).build();
  }

  @Test
  void keyPackagesClaimedFromAPeerAreCheckedAgainstItsRootsAndTheClientTheyAreFor() {
    CertificateAuthority peerAuthority = CertificateAuthority.generate(PEER, hs.clock);
    CertificateAuthority stranger = CertificateAuthority.generate(PEER, hs.clock);
    gateway.roots = List.of(ByteString.copyFrom(peerAuthority.rootCertificate()));
    ClaimedKeyPackage valid = remoteKeyPackage(peerAuthority, "pia", null);
    ClaimedKeyPackage unrooted = remoteKeyPackage(stranger, "pia", null);
    String otherClient = "mimi://" + PEER + "/c/pia/" + UUID.randomUUID();
    ClaimedKeyPackage misnamed = remoteKeyPackage(peerAuthority, "pia", otherClient);
    String without = "mimi://" + PEER + "/c/pia/" + UUID.randomUUID();
    gateway.claimAnswer = ClaimKeyPackagesResponse.newBuilder().addKeyPackages(valid).addKeyPackages(unrooted)
        .addKeyPackages(misnamed).addClientsWithoutKeyPackage(without).build();
    TestMember olga = TestMember.register(hs, "olga");
    var claim = org.homeserver.api.keypackage.v1.ClaimKeyPackagesRequest.newBuilder().setUserId(remote("pia"))
        .setCipherSuite(REMOTE_SUITE.code()).setIdempotencyKey(key()).build();

    var claimed = olga.keyPackages().claimKeyPackages(claim);
    olga.keyPackages().claimKeyPackages(claim);

    assertEquals(List.of(valid), claimed.getKeyPackagesList());
    assertEquals(List.of(unrooted.getClientId(), otherClient, without), claimed.getClientsWithoutKeyPackageList());
    List<ClaimRemoteKeyPackagesRequest> sent = gateway.claims.stream()
        .filter(c -> c.getRequest().getClaimerUserId().equals(olga.client.userId())).toList();
    assertEquals(2, sent.size());
    assertEquals(PEER, sent.getFirst().getDestination());
    assertEquals(sent.get(0).getRequest(), sent.get(1).getRequest(), "a client's retry claims under the same key");
  }

  private static void acceptEvent(DeliverEventRequest request) {
    delivery.acceptEvent(AcceptEventRequest.newBuilder().setPeerDomain(PEER).setRequest(request).build());
  }

  @Test
  void aPeersProfileChangeIsQueuedOnceUnderARepeatedKey() {
    TestMember lou = TestMember.register(hs, "lou");
    DeliverEventRequest event = DeliverEventRequest.newBuilder().addUserIds(lou.client.userId())
        .setProfileChanged(ProfileChanged.newBuilder().setUserId(remote("rob")).setDisplayName("Rob"))
        .setIdempotencyKey(key()).build();
    acceptEvent(event);
    acceptEvent(event);
    List<ServerEvent> events = events(lou);
    assertEquals(1, events.size());
    assertEquals("Rob", events.getFirst().getProfileChanged().getDisplayName());
  }

  @Test
  void aPeersEventWithIdsOfTheWrongDomainsIsRefusedAndQueuesNothing() {
    TestMember nia = TestMember.register(hs, "nia");
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PEER_DOMAIN_MISMATCH, () -> acceptEvent(DeliverEventRequest
        .newBuilder().addUserIds(nia.client.userId()).setProfileChanged(ProfileChanged.newBuilder()
            .setUserId("mimi://third.example/u/rob").setDisplayName("Rob")).setIdempotencyKey(key()).build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.DOMAIN_NOT_LOCAL, () -> acceptEvent(DeliverEventRequest
        .newBuilder().addUserIds(nia.client.userId()).addUserIds(remote("nia")).setProfileChanged(ProfileChanged
            .newBuilder().setUserId(remote("rob")).setDisplayName("Rob")).setIdempotencyKey(key()).build()));
    // A group's deletion names the group (one this homeserver does not follow changes nothing).
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> acceptEvent(DeliverEventRequest
        .newBuilder().addUserIds(nia.client.userId()).setGroupDeleted(GroupDeleted.getDefaultInstance())
        .setIdempotencyKey(key()).build()));
    acceptEvent(DeliverEventRequest.newBuilder().addUserIds(nia.client.userId()).setGroupDeleted(GroupDeleted
        .newBuilder().setGroupId(ByteString.copyFromUtf8("not followed here"))).setIdempotencyKey(key()).build());
    assertEquals(List.of(), events(nia));
  }
}
