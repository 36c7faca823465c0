package org.homeserver.launcher;

import static org.homeserver.launcher.Failures.assertFails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import org.homeserver.federation.trust.SigningKey;
import org.homeserver.federation.trust.RequestSignature;
import org.homeserver.api.federation.v1.FederationServiceGrpc;
import org.homeserver.api.federation.v1.DeliverBatchRequest;
import org.homeserver.api.federation.v1.DeliverConnectionRequestRequest;
import org.homeserver.api.federation.v1.DeliverGroupMessageRequest;
import org.homeserver.api.federation.v1.Delivery;
import io.grpc.Metadata;
import io.grpc.ManagedChannel;
import io.grpc.Status.Code;
import java.io.ByteArrayInputStream;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.homeserver.api.auth.v1.AuthServiceGrpc;
import org.homeserver.api.auth.v1.GetAuthenticationRootsRequest;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.directory.v1.AcceptConnectionRequest;
import org.homeserver.api.directory.v1.DiscoverUserRequest;
import org.homeserver.api.directory.v1.RejectConnectionRequest;
import org.homeserver.api.directory.v1.RequestConnectionRequest;
import org.homeserver.api.directory.v1.SetDisplayNameRequest;
import org.homeserver.api.directory.v1.ListConnectionsRequest;
import org.homeserver.api.directory.v1.RemoveConnectionRequest;
import org.homeserver.api.federation.v1.ChangeFederationPolicyRequest;
import org.homeserver.api.federation.v1.FederationMode;
import org.homeserver.api.federation.v1.ListPeersRequest;
import org.homeserver.api.federation.v1.Peer;
import org.homeserver.api.federation.v1.PolicyChange;
import org.homeserver.api.federation.v1.SetFederationPolicyRequest;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.ClaimedKeyPackage;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesRequest;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.Extension;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.platform.testing.Eventually;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Three homeservers of three operators (a.test, b.test, c.test), each its own `serve` process with
 * its own database and a federation certificate from a test CA, federating over mutual TLS on
 * loopback: their users find, connect with and claim KeyPackages of each other under the same
 * rules as locally, and a client verifies a federated member's credential through its own
 * homeserver.
 */
@org.junit.jupiter.api.extension.ExtendWith(FederationFixture.class)
class FederationTest {
  /** Groups whose members live on these homeservers (run after the tests above, on the same processes). */
  @Nested
  class GroupsAcrossHomeservers extends FederatedGroups {}

  static final String A = FederationFixture.A;
  static final String B = FederationFixture.B;
  static final String C = FederationFixture.C;
  /** The test's own peer, in every homeserver's peer table. */
  static final String D = FederationFixture.D;
  private static FederatedHomeservers servers;
  private static RoguePeer rogue;

  @BeforeAll
  static void start() {
    servers = FederationFixture.servers();
    rogue = FederationFixture.rogue();
  }

  @AfterAll
  static void stop() {
    FederationFixture.stop();
  }

  static TestMember user(String domain, String name) {
    return FederationFixture.user(domain, name);
  }

  static List<ServerEvent.EventCase> eventsOf(List<QueueEntry> entries) {
    return entries.stream().filter(QueueEntry::hasEvent).map(e -> e.getEvent().getEventCase()).toList();
  }

  /** Publishes {@code count} KeyPackages and one last-resort KeyPackage of {@code member}'s suite. */
  static void publish(TestMember member, int count) {
    Instant now = Instant.now();
    PublishKeyPackagesRequest.Builder batch = PublishKeyPackagesRequest.newBuilder();
    for (int i = 0; i < count; i++) {
      batch.addKeyPackages(ByteString.copyFrom(TestKeyPackages.encodeAsMessage(member.keyPackage(now))));
    }
    batch.addKeyPackages(ByteString.copyFrom(TestKeyPackages.encodeAsMessage(TestKeyPackages.create(member.suite,
        member.credential(), member.signingKey(), now.minus(TestKeyPackages.VALID_BEFORE),
        now.plus(TestKeyPackages.VALID_AFTER), List.<Extension>of(TestKeyPackages.lastResort())))));
    member.keyPackages().publishKeyPackages(batch.build());
  }

  static ClaimKeyPackagesRequest claimOf(TestMember claimer, TestMember target) {
    return ClaimKeyPackagesRequest.newBuilder().setUserId(target.client.userId())
        .setCipherSuite(claimer.suite.code()).setIdempotencyKey(UUID.randomUUID().toString()).build();
  }

  @Test
  void usersOfTwoHomeserversDiscoverConnectAndClaimUnderTheLocalRules() throws Exception {
    TestMember alice = user(A, "alice");
    TestMember alice2 = TestMember.register(servers.channel(A), A, handleOf(alice));
    TestMember bob = user(B, "bob");
    TestMember bob2 = TestMember.register(servers.channel(B), B, handleOf(bob));
    TestMember carol = user(A, "carol");
    publish(bob, 2);
    publish(bob2, 2);
    String bobId = bob.client.userId();
    String aliceId = alice.client.userId();

    // Discovery by qualified handle, through a's homeserver to b's.
    var found = alice.directory().discoverUser(DiscoverUserRequest.newBuilder()
        .setQuery(handleOf(bob) + "@" + B).build());
    assertEquals(bobId, found.getProfile().getUserId());
    assertFails(Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND, () -> alice.directory().discoverUser(
        DiscoverUserRequest.newBuilder().setQuery("nobody-" + UUID.randomUUID().toString().substring(0, 8) + "@" + B)
            .build()));

    // A request, rejected: alice's clients are told.
    alice.directory().requestConnection(RequestConnectionRequest.newBuilder().setTargetUserId(bobId).build());
    until("bob's clients see the request", () -> eventsOf(bob.drain())
        .contains(ServerEvent.EventCase.CONNECTION_REQUESTED));
    bob.directory().rejectConnection(RejectConnectionRequest.newBuilder().setRequesterUserId(aliceId).build());
    for (TestMember client : List.of(alice, alice2)) {
      until("alice's client " + client.id() + " sees the rejection",
          () -> eventsOf(client.drain()).contains(ServerEvent.EventCase.CONNECTION_REJECTED));
    }

    // Asked again: the pending request's one claim, then accepted.
    alice.directory().requestConnection(RequestConnectionRequest.newBuilder().setTargetUserId(bobId).build());
    List<ClaimedKeyPackage> first = alice.keyPackages().claimKeyPackages(claimOf(alice, bob)).getKeyPackagesList();
    assertEquals(Set.of(bob.id(), bob2.id()), first.stream().map(ClaimedKeyPackage::getClientId)
        .collect(Collectors.toSet()));
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.CLAIM_RIGHT_USED,
        () -> alice.keyPackages().claimKeyPackages(claimOf(alice, bob)));
    assertFails(Code.PERMISSION_DENIED, ErrorReason.NOT_CONNECTED,
        () -> carol.keyPackages().claimKeyPackages(claimOf(carol, bob)));
    until("bob's clients see the second request", () -> eventsOf(bob.drain())
        .contains(ServerEvent.EventCase.CONNECTION_REQUESTED));
    bob.directory().acceptConnection(AcceptConnectionRequest.newBuilder().setRequesterUserId(aliceId).build());
    until("alice's client sees the acceptance",
        () -> eventsOf(alice.drain()).contains(ServerEvent.EventCase.CONNECTION_ACCEPTED));

    // Connected: claims until only the last-resort KeyPackages are left, each handed out once.
    List<ClaimedKeyPackage> all = new ArrayList<>(first);
    for (int i = 0; i < 3; i++) {
      all.addAll(alice.keyPackages().claimKeyPackages(claimOf(alice, bob)).getKeyPackagesList());
    }
    Set<ByteString> handedOut = new HashSet<>();
    for (ClaimedKeyPackage claimed : all) {
      if (!claimed.getKept()) {
        assertTrue(handedOut.add(claimed.getKeyPackage()), "a KeyPackage was handed out twice");
      }
    }
    assertEquals(4, handedOut.size(), "bob's two clients had two KeyPackages each besides the last-resort ones");
    assertTrue(all.getLast().getKept(), "the last-resort KeyPackage is kept");
    assertFails(Code.PERMISSION_DENIED, ErrorReason.NOT_CONNECTED,
        () -> carol.keyPackages().claimKeyPackages(claimOf(carol, bob)));

    // alice's client verifies bob's credential chain against b's AS root, fetched through a.
    var roots = AuthServiceGrpc.newBlockingStub(servers.channel(A)).getAuthenticationRoots(
        GetAuthenticationRootsRequest.newBuilder().setDomain(B).build());
    assertEquals(B, roots.getDomain());
    var ownRoots = AuthServiceGrpc.newBlockingStub(servers.channel(A)).getAuthenticationRoots(
        GetAuthenticationRootsRequest.getDefaultInstance());
    assertNotEquals(ownRoots.getRootCertificates(0), roots.getRootCertificates(0), "each domain has its own AS");
    KeyPackage claimed = decode(all.getLast());
    assertTrue(chainValidates(claimed, roots.getRootCertificatesList()), "bob's credential chains to b's root");
    assertFalse(chainValidates(claimed, ownRoots.getRootCertificatesList()), "and not to a's");
  }

  /** Waits until {@code condition} holds: deliveries between homeservers take a moment. */
  static void until(String what, java.util.function.BooleanSupplier condition) {
    Eventually.until(what, java.time.Duration.ofSeconds(20), condition);
  }

  static String handleOf(TestMember member) {
    String userId = member.client.userId();
    return userId.substring(userId.lastIndexOf('/') + 1);
  }

  static KeyPackage decode(ClaimedKeyPackage claimed) throws MlsDecodeException {
    return ((MlsMessage.KeyPackageBody) MlsMessage.decode(claimed.getKeyPackage().toByteArray()).body()).keyPackage();
  }

  /** Whether the KeyPackage's x509 credential validates by PKIX up to one of {@code roots}. */
  static boolean chainValidates(KeyPackage keyPackage, List<ByteString> roots) throws Exception {
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    List<X509Certificate> chain = new ArrayList<>();
    for (byte[] der : ((Credential.X509) keyPackage.leafNode().credential()).certificates()) {
      chain.add((X509Certificate) x509.generateCertificate(new ByteArrayInputStream(der)));
    }
    Set<TrustAnchor> anchors = new HashSet<>();
    for (ByteString root : roots) {
      anchors.add(new TrustAnchor((X509Certificate) x509.generateCertificate(root.newInput()), null));
    }
    PKIXParameters parameters = new PKIXParameters(anchors);
    parameters.setRevocationEnabled(false);
    try {
      CertPathValidator.getInstance("PKIX").validate(x509.generateCertPath(chain), parameters);
      return true;
    } catch (java.security.cert.CertPathValidatorException e) {
      return false;
    }
  }

  /** Whether {@code member}'s user is connected with {@code other}'s, as its own homeserver lists it. */
  static boolean connected(TestMember member, TestMember other) {
    return member.directory().listConnections(ListConnectionsRequest.getDefaultInstance()).getConnectionsList()
        .stream().anyMatch(c -> c.getUserId().equals(other.client.userId()));
  }

  static void connect(TestMember requester, TestMember target) {
    requester.directory().requestConnection(RequestConnectionRequest.newBuilder()
        .setTargetUserId(target.client.userId()).build());
    until(target.id() + " sees the request", () -> eventsOf(target.drain())
        .contains(ServerEvent.EventCase.CONNECTION_REQUESTED));
    target.directory().acceptConnection(AcceptConnectionRequest.newBuilder()
        .setRequesterUserId(requester.client.userId()).build());
    until(requester.id() + " sees the acceptance", () -> eventsOf(requester.drain())
        .contains(ServerEvent.EventCase.CONNECTION_ACCEPTED));
  }

  static Peer peer(String at, String domain) {
    return servers.federationAdmin(at).listPeers(ListPeersRequest.getDefaultInstance()).getPeersList().stream()
        .filter(p -> p.getDomain().equals(domain)).findFirst().orElseThrow();
  }

  @Test
  void thePolicyIsEnforcedBothWaysAndChangesWithoutARestart() {
    TestMember ann = user(A, "ann");
    TestMember cid = user(C, "cid");
    TestMember bea = user(B, "bea");
    connect(ann, cid);
    var adminA = servers.federationAdmin(A);
    try {
      adminA.setFederationPolicy(SetFederationPolicyRequest.newBuilder()
          .setMode(FederationMode.FEDERATION_MODE_ALLOWLIST).addDomains(B).build());
      String annQuery = handleOf(ann) + "@" + A;
      String cidQuery = handleOf(cid) + "@" + C;

      // c achieves nothing at a: a refuses c on the connection c already has (and would refuse its
      // certificate on a new one), so c's calls fail and its outbox waits.
      assertFails(Code.PERMISSION_DENIED, ErrorReason.FEDERATION_DENIED, () -> cid.directory().discoverUser(
          DiscoverUserRequest.newBuilder().setQuery(annQuery).build()));
      cid.directory().removeConnection(RemoveConnectionRequest.newBuilder().setUserId(ann.client.userId()).build());
      until("c's outbox fails to reach a", () -> peer(C, A).getConsecutiveFailures() > 0);
      assertEquals(1, peer(C, A).getOutboxDepth());
      assertTrue(connected(ann, cid), "a changed nothing");
      assertTrue(ann.drain().isEmpty(), "ann was told nothing");

      // a sends nothing to c and queues nothing for it; ann's own change stands.
      assertFails(Code.PERMISSION_DENIED, ErrorReason.FEDERATION_DENIED, () -> ann.directory().discoverUser(
          DiscoverUserRequest.newBuilder().setQuery(cidQuery).build()));
      ann.directory().setDisplayName(SetDisplayNameRequest.newBuilder().setDisplayName("Ann").build());
      assertEquals(0, peer(A, C).getOutboxDepth(), "nothing queued for c");
      // b, on the allowlist, is served.
      assertEquals(bea.client.userId(), ann.directory().discoverUser(DiscoverUserRequest.newBuilder()
          .setQuery(handleOf(bea) + "@" + B).build()).getProfile().getUserId());

      // Open with c blocked: the same, without a restart.
      adminA.setFederationPolicy(SetFederationPolicyRequest.newBuilder()
          .setMode(FederationMode.FEDERATION_MODE_OPEN).addDomains(C).build());
      assertFails(Code.PERMISSION_DENIED, ErrorReason.FEDERATION_DENIED, () -> ann.directory().discoverUser(
          DiscoverUserRequest.newBuilder().setQuery(cidQuery).build()));
      assertFails(Code.PERMISSION_DENIED, ErrorReason.FEDERATION_DENIED, () -> cid.directory().discoverUser(
          DiscoverUserRequest.newBuilder().setQuery(annQuery).build()));

      // Unblocked: both ways at once; a's call reaches c, which resets c's backoff towards a, and
      // c's waiting removal arrives.
      adminA.changeFederationPolicy(ChangeFederationPolicyRequest.newBuilder().setDomain(C)
          .setChange(PolicyChange.POLICY_CHANGE_ALLOW).build());
      assertEquals(cid.client.userId(), ann.directory().discoverUser(DiscoverUserRequest.newBuilder()
          .setQuery(cidQuery).build()).getProfile().getUserId());
      until("c's removal reaches a", () -> eventsOf(ann.drain()).contains(ServerEvent.EventCase.CONNECTION_REMOVED));
      assertFalse(connected(ann, cid));
      assertEquals(0, peer(C, A).getOutboxDepth());
      assertFalse(eventsOf(cid.drain()).contains(ServerEvent.EventCase.PROFILE_CHANGED),
          "what a did while c was forbidden was never told to c");
    } finally {
      adminA.setFederationPolicy(SetFederationPolicyRequest.newBuilder()
          .setMode(FederationMode.FEDERATION_MODE_OPEN).build());
    }
  }

  /**
   * b is killed while a queues connection updates for it, and comes back: each update arrives once,
   * in order, and the moment b calls a, a's backoff towards b is reset and its outbox drains without
   * waiting for the timer.
   */
  @Test
  void anOutboxDrainsInOrderOnceThePeerIsBackAndCallsUs() throws Exception {
    TestMember amy = user(A, "amy");
    List<TestMember> bs = new ArrayList<>();
    for (String name : List.of("bo", "bu", "by")) {
      TestMember member = user(B, name);
      member.directory().requestConnection(RequestConnectionRequest.newBuilder()
          .setTargetUserId(amy.client.userId()).build());
      bs.add(member);
    }
    until("amy sees three requests", () -> amy.fetchAll().stream().filter(QueueEntry::hasEvent).count() == 3);
    amy.drain();

    String amyId = amy.client.userId();
    servers.kill(B);
    Instant scheduled;
    try {
      amy.directory().acceptConnection(AcceptConnectionRequest.newBuilder().setRequesterUserId(bs.get(0).client.userId()).build());
      amy.directory().rejectConnection(RejectConnectionRequest.newBuilder().setRequesterUserId(bs.get(1).client.userId()).build());
      amy.directory().acceptConnection(AcceptConnectionRequest.newBuilder().setRequesterUserId(bs.get(2).client.userId()).build());
      amy.directory().removeConnection(RemoveConnectionRequest.newBuilder().setUserId(bs.get(0).client.userId()).build());
      // Past the quick retries: a waits a full backoff (a minute, in this test) before it tries b again.
      until("a backs off from b", () -> peer(A, B).getConsecutiveFailures() >= 4);
      Peer waiting = peer(A, B);
      assertEquals(4, waiting.getOutboxDepth());
      scheduled = Instant.ofEpochSecond(waiting.getNextAttemptAt().getSeconds());
      // The operator sees it: `homeserver admin federation status`.
      HomeserverLifecycleTest.Cli status = HomeserverLifecycleTest.Cli.run("admin", "--address", "127.0.0.1:" + servers.adminPort(A), "--token",
          TestHomeserver.ADMIN_TOKEN, "federation", "status");
      assertEquals(0, status.status(), status.err());
      String line = status.out().lines().filter(l -> l.startsWith(B + " ")).findFirst().orElseThrow(() ->
          new AssertionError("no line for " + B + ":\n" + status.out()));
      for (String shown : List.of("allowed", "queued=4", "oldest=", "last-error=", "failures=", "next-attempt=",
          "(backoff ")) {
        assertTrue(line.contains(shown), "the status of " + B + " shows " + shown + ": " + line);
      }
      HomeserverLifecycleTest.Cli resolve = HomeserverLifecycleTest.Cli.run("admin", "--address",
          "127.0.0.1:" + servers.adminPort(A), "--token", TestHomeserver.ADMIN_TOKEN, "federation", "resolve", B);
      assertTrue(resolve.out().contains(B + ": static -> 127.0.0.1:" + servers.federationPort(B)), resolve.out());

    } finally {
      servers.restart(B);
    }
    TestMember bo = bs.get(0).via(servers.channel(B));
    TestMember bu = bs.get(1).via(servers.channel(B));
    TestMember by = bs.get(2).via(servers.channel(B));
    long called = System.nanoTime();
    // b's first call to a: its user looks amy up.
    by.directory().discoverUser(DiscoverUserRequest.newBuilder().setQuery(handleOf(amy) + "@" + A).build());
    until("a's outbox for b drains", () -> peer(A, B).getOutboxDepth() == 0);
    long drainedMillis = (System.nanoTime() - called) / 1_000_000;
    System.out.printf("federation: b's first call to delivery of a's 4 queued updates: %d ms (a's timer was due at %s)%n",
        drainedMillis, scheduled);
    assertTrue(Instant.now().isBefore(scheduled), "delivered before a's backoff ran out: the contact reset it");

    assertEquals(List.of(ServerEvent.EventCase.CONNECTION_ACCEPTED, ServerEvent.EventCase.CONNECTION_REMOVED),
        eventsOf(bo.drain()), "bo: accepted, then removed, once each");
    assertEquals(List.of(ServerEvent.EventCase.CONNECTION_REJECTED), eventsOf(bu.drain()));
    assertEquals(List.of(ServerEvent.EventCase.CONNECTION_ACCEPTED), eventsOf(by.drain()));
    assertFalse(connected(bo, amy));
    assertFalse(connected(bu, amy));
    assertTrue(connected(by, amy));
    assertTrue(connected(amy, by));
    assertEquals(amyId, by.directory().discoverUser(DiscoverUserRequest.newBuilder()
        .setQuery(handleOf(amy) + "@" + A).build()).getProfile().getUserId());
  }

  /** interop/'s federated connection scenario: ts-mls clients of a and of b, each on its own homeserver. */
  @Test
  void tsMlsClientsConnectAcrossTwoHomeservers() throws Exception {
    FederationFixture.interop("federated-connection");
  }

  /**
   * A peer presenting a certificate for another domain than it signs as, a forged signature, a
   * replayed request and a call naming a user the peer does not own are each refused and change
   * nothing; the same call, signed properly, is served once.
   */
  @Test
  void forgedReplayedAndMisattributedCallsAreRefused() throws Exception {
    TestMember anna = user(A, "anna");
    var method = FederationServiceGrpc.getDeliverConnectionRequestMethod();
    var request = DeliverConnectionRequestRequest.newBuilder().setRequesterUserId("mimi://" + D + "/u/dan")
        .setTargetUserId(anna.client.userId()).setIdempotencyKey(UUID.randomUUID().toString()).build();
    ManagedChannel toA = rogue.channelTo(A, servers.federationPort(A));
    try {
      // d's certificate, signed as b.
      assertFails(Code.PERMISSION_DENIED, ErrorReason.PEER_DOMAIN_MISMATCH, () -> RoguePeer.call(toA, method, request,
          RequestSignature.sign(rogue.key, method.getFullMethodName(), B, A, request.toByteArray(), Instant.now())));
      // Signed by another key under the id of d's.
      SigningKey other = SigningKey.generate(Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600));
      Metadata forged = RequestSignature.sign(other, method.getFullMethodName(), D, A, request.toByteArray(),
          Instant.now());
      forged.put(RequestSignature.KEY_ID, rogue.key.keyId());
      assertFails(Code.UNAUTHENTICATED, ErrorReason.FEDERATION_SIGNATURE_INVALID,
          () -> RoguePeer.call(toA, method, request, forged));
      // Properly signed, but naming a requester of b.
      var misattributed = request.toBuilder().setRequesterUserId("mimi://" + B + "/u/bob").build();
      assertFails(Code.PERMISSION_DENIED, ErrorReason.PEER_DOMAIN_MISMATCH, () -> RoguePeer.call(toA, method,
          misattributed, RequestSignature.sign(rogue.key, method.getFullMethodName(), D, A,
              misattributed.toByteArray(), Instant.now())));
      assertTrue(anna.fetchAll().isEmpty(), "nothing reached anna");

      // The call signed properly is served; its replay is refused and changes nothing.
      Metadata signed = RequestSignature.sign(rogue.key, method.getFullMethodName(), D, A, request.toByteArray(),
          Instant.now());
      RoguePeer.call(toA, method, request, signed);
      assertFails(Code.UNAUTHENTICATED, ErrorReason.FEDERATION_REPLAYED,
          () -> RoguePeer.call(toA, method, request, signed));
      assertEquals(List.of(ServerEvent.EventCase.CONNECTION_REQUESTED), eventsOf(anna.drain()));

      // A group message for a group a does not follow gets a final result, so the sender's lane moves on.
      var batchMethod = FederationServiceGrpc.getDeliverBatchMethod();
      var batch = DeliverBatchRequest.newBuilder().addDeliveries(Delivery.newBuilder().setGroupMessage(
          DeliverGroupMessageRequest.newBuilder().setGroupId(ByteString.copyFromUtf8("some group")).setEpoch(1)
              .setMlsMessage(ByteString.copyFromUtf8("bytes")).setSequence(1)
              .setSenderClientUuid(UUID.randomUUID().toString()).setIdempotencyKey(UUID.randomUUID().toString()))).build();
      var results = RoguePeer.call(toA, batchMethod, batch, RequestSignature.sign(rogue.key,
          batchMethod.getFullMethodName(), D, A, batch.toByteArray(), Instant.now())).getResultsList();
      assertEquals(Code.NOT_FOUND.value(), results.getFirst().getCode(), results.toString());
      assertEquals(ErrorReason.GROUP_NOT_FOUND, results.getFirst().getReason());
      var oversized = DeliverBatchRequest.newBuilder();
      for (int i = 0; i <= 100; i++) {
        oversized.addDeliveries(batch.getDeliveries(0));
      }
      assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> RoguePeer.call(toA, batchMethod,
          oversized.build(), RequestSignature.sign(rogue.key, batchMethod.getFullMethodName(), D, A,
              oversized.build().toByteArray(), Instant.now())));

      // Blocked, d fails the TLS handshake of a new connection and learns nothing more.
      servers.federationAdmin(A).changeFederationPolicy(ChangeFederationPolicyRequest.newBuilder().setDomain(D)
          .setChange(PolicyChange.POLICY_CHANGE_BLOCK).build());
      ManagedChannel fresh = rogue.channelTo(A, servers.federationPort(A));
      try {
        var again = request.toBuilder().setIdempotencyKey(UUID.randomUUID().toString()).build();
        var refused = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
            () -> RoguePeer.call(fresh, method, again, RequestSignature.sign(rogue.key, method.getFullMethodName(),
                D, A, again.toByteArray(), Instant.now())));
        assertEquals(Code.UNAVAILABLE, refused.getStatus().getCode(), "refused in the handshake: " + refused);
        assertTrue(org.homeserver.platform.grpc.ErrorStatus.errorInfo(refused).isEmpty(), "with no reason given");
      } finally {
        fresh.shutdownNow();
        servers.federationAdmin(A).changeFederationPolicy(ChangeFederationPolicyRequest.newBuilder().setDomain(D)
            .setChange(PolicyChange.POLICY_CHANGE_ALLOW).build());
      }
    } finally {
      toA.shutdownNow();
    }
  }
}
