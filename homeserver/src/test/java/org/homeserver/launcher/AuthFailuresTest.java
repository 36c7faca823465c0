package org.homeserver.launcher;

import org.homeserver.platform.testing.Eventually;
import static org.homeserver.launcher.Failures.assertFails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Map;
import org.homeserver.api.admin.v1.CreateInviteRequest;
import org.homeserver.api.admin.v1.DeleteUserRequest;
import org.homeserver.api.admin.v1.GetStatusRequest;
import org.homeserver.api.admin.v1.GetUserRequest;
import org.homeserver.api.admin.v1.ListUsersRequest;
import org.homeserver.api.admin.v1.SuspendUserRequest;
import org.homeserver.api.admin.v1.UnsuspendUserRequest;
import org.homeserver.api.admin.v1.UserState;
import org.homeserver.api.auth.v1.AuthServiceGrpc;
import org.homeserver.api.auth.v1.ChangePasswordRequest;
import org.homeserver.api.auth.v1.CreateChallengeRequest;
import org.homeserver.api.auth.v1.CreateChallengeResponse;
import org.homeserver.api.auth.v1.CreateSessionRequest;
import org.homeserver.api.auth.v1.DeleteClientRequest;
import org.homeserver.api.auth.v1.ListClientsRequest;
import org.homeserver.api.auth.v1.RegisterClientRequest;
import org.homeserver.api.auth.v1.RegisterUserRequest;
import org.homeserver.api.auth.v1.RenewCredentialRequest;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.auth.SignContent;
import org.homeserver.auth.TestSigningKey;
import org.homeserver.launcher.TestHomeserver.TestClient;
import org.homeserver.platform.grpc.BearerTokens;
import org.homeserver.platform.grpc.ErrorStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every way authentication can fail returns its documented status and reason, and stores nothing.
 * One homeserver with Redis signalling serves the open-registration cases; the policy cases start
 * their own.
 */
class AuthFailuresTest {
  private static TestHomeserver hs;

  @BeforeAll
  static void start() throws Exception {
    hs = TestHomeserver.withRedis(Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    hs.close();
  }

  private static long users(TestHomeserver server) {
    return server.admin().getStatus(GetStatusRequest.getDefaultInstance()).getUserCount();
  }

  private static long clients(TestHomeserver server) {
    return server.admin().getStatus(GetStatusRequest.getDefaultInstance()).getClientCount();
  }

  private static RegisterUserRequest user(String handle) {
    return RegisterUserRequest.newBuilder().setHandle(handle).setPassword(TestHomeserver.PASSWORD).build();
  }

  @Test
  void duplicateHandleIsRefusedAndTheFirstUserKeepsItsPassword() {
    hs.registerUser("dup");
    long before = users(hs);
    assertFails(Code.ALREADY_EXISTS, ErrorReason.HANDLE_TAKEN,
        () -> hs.auth().registerUser(RegisterUserRequest.newBuilder().setHandle("dup").setPassword("another password!").build()));
    assertEquals(before, users(hs));
    hs.registerClient("dup", SignatureScheme.ED25519);
  }

  @Test
  void invalidHandlesAreRefused() {
    long before = users(hs);
    for (String handle : new String[] {"", "ab", "Alice", "-alice", "alice@example.org", "a".repeat(33), "al ice",
        "al/ice", "ålice"}) {
      assertFails(Code.INVALID_ARGUMENT, ErrorReason.HANDLE_INVALID, () -> hs.auth().registerUser(user(handle)));
    }
    assertEquals(before, users(hs));
  }

  @Test
  void passwordsOutsideTheLimitsAreRefused() {
    long before = users(hs);
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.PASSWORD_INVALID, () -> hs.auth().registerUser(
        RegisterUserRequest.newBuilder().setHandle("shortpw").setPassword("123456789").build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.PASSWORD_INVALID, () -> hs.auth().registerUser(
        RegisterUserRequest.newBuilder().setHandle("longpw").setPassword("x".repeat(1025)).build()));
    assertEquals(before, users(hs));
  }

  @Test
  void wrongPasswordOrUnknownHandleRegistersNoClient() {
    hs.registerUser("wrongpw");
    long before = clients(hs);
    TestSigningKey key = TestSigningKey.generate(SignatureScheme.ED25519);
    assertFails(Code.UNAUTHENTICATED, ErrorReason.WRONG_CREDENTIALS, () -> hs.auth().registerClient(
        TestHomeserver.clientRequest("wrongpw", key).setPassword("not the password").build()));
    assertFails(Code.UNAUTHENTICATED, ErrorReason.WRONG_CREDENTIALS, () -> hs.auth().registerClient(
        TestHomeserver.clientRequest("nobody-here", key).build()));
    assertEquals(before, clients(hs));
  }

  @Test
  void badProofOfPossessionRegistersNoClient() {
    hs.registerUser("popper");
    hs.registerUser("victim");
    long before = clients(hs);
    TestSigningKey key = TestSigningKey.generate(SignatureScheme.ED25519);
    TestSigningKey other = TestSigningKey.generate(SignatureScheme.ED25519);
    // Signed by another key.
    RegisterClientRequest byOtherKey = TestHomeserver.clientRequest("popper", key)
        .setProofOfPossession(TestHomeserver.clientRequest("popper", other).getProofOfPossession()).build();
    // A proof made for another user (replayed from their registration).
    RegisterClientRequest forOtherUser = TestHomeserver.clientRequest("popper", key)
        .setProofOfPossession(TestHomeserver.clientRequest("victim", key).getProofOfPossession()).build();
    // Signed without the label.
    byte[] content = SignContent.registration("mimi://example.org/u/popper", key.signatureKey().publicKey());
    RegisterClientRequest wrongLabel = TestHomeserver.clientRequest("popper", key)
        .setProofOfPossession(ByteString.copyFrom(key.signWithLabel("other label", content))).build();
    RegisterClientRequest empty = TestHomeserver.clientRequest("popper", key).setProofOfPossession(ByteString.EMPTY).build();
    for (RegisterClientRequest bad : new RegisterClientRequest[] {byOtherKey, forOtherUser, wrongLabel, empty}) {
      assertFails(Code.PERMISSION_DENIED, ErrorReason.PROOF_OF_POSSESSION_INVALID, () -> hs.auth().registerClient(bad));
    }
    TestSigningKey p256 = TestSigningKey.generate(SignatureScheme.ECDSA_SECP256R1_SHA256);
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PROOF_OF_POSSESSION_INVALID, () -> hs.auth().registerClient(
        TestHomeserver.clientRequest("popper", p256)
            .setProofOfPossession(TestHomeserver.clientRequest("victim", p256).getProofOfPossession()).build()));
    assertEquals(before, clients(hs));
  }

  @Test
  void malformedSignatureKeysAreRefused() {
    hs.registerUser("badkey");
    long before = clients(hs);
    TestSigningKey key = TestSigningKey.generate(SignatureScheme.ED25519);
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.SIGNATURE_KEY_INVALID, () -> hs.auth().registerClient(
        TestHomeserver.clientRequest("badkey", key).setSignaturePublicKey(ByteString.copyFrom(new byte[31])).build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.SIGNATURE_KEY_INVALID, () -> hs.auth().registerClient(
        TestHomeserver.clientRequest("badkey", key).setSignatureScheme(SignatureScheme.SIGNATURE_SCHEME_UNSPECIFIED).build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.SIGNATURE_KEY_INVALID, () -> hs.auth().registerClient(
        TestHomeserver.clientRequest("badkey", key).setSignatureScheme(SignatureScheme.ECDSA_SECP256R1_SHA256).build()));
    assertEquals(before, clients(hs));
  }

  @Test
  void missingForgedAndGarbageTokensAreRefused() {
    assertFails(Code.UNAUTHENTICATED, ErrorReason.TOKEN_MISSING,
        () -> hs.auth().listClients(ListClientsRequest.getDefaultInstance()));
    hs.registerUser("forger");
    TestClient client = hs.registerClient("forger", SignatureScheme.ED25519);
    String token = hs.session(client);
    String[] parts = token.split("\\.");
    // The same claims with another signature, and a signature moved onto other claims.
    String resigned = parts[0] + "." + parts[1] + "." + "A".repeat(86);
    String spliced = parts[0] + "." + parts[1].substring(0, parts[1].length() - 2) + "AA." + parts[2];
    for (String forged : new String[] {resigned, spliced, "hs1.garbage.garbage", "not-a-token"}) {
      assertFails(Code.UNAUTHENTICATED, ErrorReason.TOKEN_INVALID,
          () -> hs.auth(forged).listClients(ListClientsRequest.getDefaultInstance()));
    }
    try (TestHomeserver other = TestHomeserver.withRedis(Map.of())) {
      other.registerUser("forger");
      String foreign = other.session(other.registerClient("forger", SignatureScheme.ED25519));
      assertFails(Code.UNAUTHENTICATED, ErrorReason.TOKEN_INVALID,
          () -> hs.auth(foreign).listClients(ListClientsRequest.getDefaultInstance()));
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void expiredTokenIsRefused() throws Exception {
    try (TestHomeserver own = TestHomeserver.withRedis(Map.of("auth.access-token-ttl", "2m"))) {
      own.registerUser("late");
      String token = own.session(own.registerClient("late", SignatureScheme.ED25519));
      own.auth(token).listClients(ListClientsRequest.getDefaultInstance());
      own.clock.advance(Duration.ofMinutes(2));
      assertFails(Code.UNAUTHENTICATED, ErrorReason.TOKEN_EXPIRED,
          () -> own.auth(token).listClients(ListClientsRequest.getDefaultInstance()));
    }
  }

  @Test
  void deletingAClientRevokesItsTokensAtOnceButNotItsSiblings() {
    hs.registerUser("revoker");
    TestClient first = hs.registerClient("revoker", SignatureScheme.ED25519);
    TestClient second = hs.registerClient("revoker", SignatureScheme.ED25519);
    String firstToken = hs.session(first);
    String secondToken = hs.session(second);
    hs.auth(secondToken).deleteClient(DeleteClientRequest.newBuilder().setClientId(first.clientId()).build());
    assertFails(Code.UNAUTHENTICATED, ErrorReason.TOKEN_REVOKED,
        () -> hs.auth(firstToken).listClients(ListClientsRequest.getDefaultInstance()));
    assertEquals(1, hs.auth(secondToken).listClients(ListClientsRequest.getDefaultInstance()).getClientsCount());
    assertFails(Code.NOT_FOUND, ErrorReason.CLIENT_NOT_FOUND,
        () -> hs.auth().createChallenge(CreateChallengeRequest.newBuilder().setClientId(first.clientId()).build()));
  }

  @Test
  void aUserCannotDeleteAnotherUsersClient() {
    hs.registerUser("owner");
    hs.registerUser("intruder");
    TestClient victim = hs.registerClient("owner", SignatureScheme.ED25519);
    String intruder = hs.session(hs.registerClient("intruder", SignatureScheme.ED25519));
    assertFails(Code.NOT_FOUND, ErrorReason.CLIENT_NOT_FOUND, () -> hs.auth(intruder)
        .deleteClient(DeleteClientRequest.newBuilder().setClientId(victim.clientId()).build()));
    hs.session(victim);
  }

  @Test
  void suspensionRevokesTokensAndBlocksSessionsUntilLifted() {
    hs.registerUser("suspect");
    TestClient client = hs.registerClient("suspect", SignatureScheme.ED25519);
    String token = hs.session(client);
    var suspended = hs.admin().suspendUser(SuspendUserRequest.newBuilder().setUser("suspect").build());
    assertEquals(UserState.USER_STATE_SUSPENDED, suspended.getUser().getState());
    assertFails(Code.UNAUTHENTICATED, ErrorReason.TOKEN_REVOKED,
        () -> hs.auth(token).listClients(ListClientsRequest.getDefaultInstance()));
    assertFails(Code.PERMISSION_DENIED, ErrorReason.USER_SUSPENDED, () -> hs.session(client));
    long before = clients(hs);
    assertFails(Code.PERMISSION_DENIED, ErrorReason.USER_SUSPENDED, () -> hs.auth().registerClient(
        TestHomeserver.clientRequest("suspect", TestSigningKey.generate(SignatureScheme.ED25519)).build()));
    assertEquals(before, clients(hs));

    hs.admin().unsuspendUser(UnsuspendUserRequest.newBuilder().setUser("mimi://example.org/u/suspect").build());
    String fresh = hs.session(client);
    hs.auth(fresh).listClients(ListClientsRequest.getDefaultInstance());
    assertFails(Code.UNAUTHENTICATED, ErrorReason.TOKEN_REVOKED,
        () -> hs.auth(token).listClients(ListClientsRequest.getDefaultInstance()));
  }

  @Test
  void deletedUserLosesTokensClientsAndHandle() {
    hs.registerUser("leaver");
    TestClient client = hs.registerClient("leaver", SignatureScheme.ED25519);
    String token = hs.session(client);
    hs.admin().deleteUser(DeleteUserRequest.newBuilder().setUser("leaver").build());
    assertFails(Code.UNAUTHENTICATED, ErrorReason.TOKEN_REVOKED,
        () -> hs.auth(token).listClients(ListClientsRequest.getDefaultInstance()));
    assertFails(Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND,
        () -> hs.admin().getUser(GetUserRequest.newBuilder().setUser("leaver").build()));
    assertFails(Code.NOT_FOUND, ErrorReason.CLIENT_NOT_FOUND,
        () -> hs.auth().createChallenge(CreateChallengeRequest.newBuilder().setClientId(client.clientId()).build()));
  }

  @Test
  void challengesAreSingleUseBoundToTheirClientAndExpire() throws Exception {
    hs.registerUser("challenged");
    TestClient client = hs.registerClient("challenged", SignatureScheme.ECDSA_SECP256R1_SHA256);
    TestClient sibling = hs.registerClient("challenged", SignatureScheme.ED25519);
    CreateChallengeResponse challenge = hs.auth().createChallenge(
        CreateChallengeRequest.newBuilder().setClientId(client.clientId()).build());
    CreateSessionRequest signed = CreateSessionRequest.newBuilder()
        .setClientId(client.clientId())
        .setChallengeId(challenge.getChallengeId())
        .setSignature(ByteString.copyFrom(client.key().signWithLabel(SignContent.SESSION_LABEL,
            SignContent.session(client.clientId(), challenge.getNonce().toByteArray()))))
        .build();
    // A wrong signature spends the challenge too.
    CreateSessionRequest badSignature = signed.toBuilder().setSignature(ByteString.copyFrom(client.key()
        .signWithLabel(SignContent.SESSION_LABEL, SignContent.session(sibling.clientId(),
            challenge.getNonce().toByteArray())))).build();
    assertFails(Code.PERMISSION_DENIED, ErrorReason.CHALLENGE_SIGNATURE_INVALID, () -> hs.auth().createSession(badSignature));
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.CHALLENGE_INVALID, () -> hs.auth().createSession(signed));

    CreateChallengeResponse second = hs.auth().createChallenge(
        CreateChallengeRequest.newBuilder().setClientId(client.clientId()).build());
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.CHALLENGE_INVALID, () -> hs.auth().createSession(
        signed.toBuilder().setClientId(sibling.clientId()).setChallengeId(second.getChallengeId()).build()));

    try (TestHomeserver own = TestHomeserver.start(Map.of())) {
      own.registerUser("slow");
      TestClient slow = own.registerClient("slow", SignatureScheme.ED25519);
      CreateChallengeResponse c = own.auth().createChallenge(
          CreateChallengeRequest.newBuilder().setClientId(slow.clientId()).build());
      own.clock.advance(Duration.ofSeconds(61));
      assertFails(Code.FAILED_PRECONDITION, ErrorReason.CHALLENGE_INVALID, () -> own.auth().createSession(
          CreateSessionRequest.newBuilder().setClientId(slow.clientId()).setChallengeId(c.getChallengeId())
              .setSignature(ByteString.copyFrom(slow.key().signWithLabel(SignContent.SESSION_LABEL,
                  SignContent.session(slow.clientId(), c.getNonce().toByteArray())))).build()));
    }
  }

  @Test
  void oversizedRequestIsRefusedBeforeAnythingIsStored() {
    long before = users(hs);
    String huge = "p".repeat(100 * 1024);
    StatusRuntimeException e = assertFails(Code.RESOURCE_EXHAUSTED, ErrorReason.REQUEST_TOO_LARGE,
        () -> hs.auth().registerUser(RegisterUserRequest.newBuilder().setHandle("huge").setPassword(huge).build()));
    assertEquals("65536", ErrorStatus.errorInfo(e).orElseThrow().getMetadataOrThrow("limit_bytes"));
    // Far beyond the transport limit the connection refuses the message unread, with the same code.
    StatusRuntimeException transport = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> hs.auth().registerUser(RegisterUserRequest.newBuilder().setHandle("huger")
            .setPassword("p".repeat(5 * 1024 * 1024)).build()));
    assertEquals(Code.RESOURCE_EXHAUSTED, transport.getStatus().getCode());
    assertEquals(before, users(hs));
  }

  @Test
  void idempotentClientRegistrationReturnsTheSameClient() {
    hs.registerUser("retrier");
    TestSigningKey key = TestSigningKey.generate(SignatureScheme.ED25519);
    RegisterClientRequest request = TestHomeserver.clientRequest("retrier", key)
        .setIdempotencyKey("0f8fad5b-d9cb-469f-a165-70867728950e").setLabel("laptop").build();
    var first = hs.auth().registerClient(request);
    var retry = hs.auth().registerClient(request);
    assertEquals(first.getClientId(), retry.getClientId());
    assertEquals(first.getCertificateChainList(), retry.getCertificateChainList());
    long before = clients(hs);
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.IDEMPOTENCY_KEY_REUSED,
        () -> hs.auth().registerClient(request.toBuilder().setLabel("phone").build()));
    assertEquals(before, clients(hs));
  }

  @Test
  void clientLimitIsEnforced() throws Exception {
    try (TestHomeserver own = TestHomeserver.start(Map.of("auth.max-clients-per-user", "2"))) {
      own.registerUser("many");
      own.registerClient("many", SignatureScheme.ED25519);
      own.registerClient("many", SignatureScheme.ED25519);
      StatusRuntimeException e = assertFails(Code.RESOURCE_EXHAUSTED, ErrorReason.TOO_MANY_CLIENTS,
          () -> own.registerClient("many", SignatureScheme.ED25519));
      assertEquals("2", ErrorStatus.errorInfo(e).orElseThrow().getMetadataOrThrow("limit"));
    }
  }

  @Test
  void changedPasswordReplacesTheOldOne() {
    hs.registerUser("changer");
    String token = hs.session(hs.registerClient("changer", SignatureScheme.ED25519));
    assertFails(Code.UNAUTHENTICATED, ErrorReason.WRONG_CREDENTIALS, () -> hs.auth(token).changePassword(
        ChangePasswordRequest.newBuilder().setCurrentPassword("wrong password").setNewPassword("a new password").build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.PASSWORD_INVALID, () -> hs.auth(token).changePassword(
        ChangePasswordRequest.newBuilder().setCurrentPassword(TestHomeserver.PASSWORD).setNewPassword("short").build()));
    hs.auth(token).changePassword(ChangePasswordRequest.newBuilder()
        .setCurrentPassword(TestHomeserver.PASSWORD).setNewPassword("a brand new password").build());
    assertFails(Code.UNAUTHENTICATED, ErrorReason.WRONG_CREDENTIALS,
        () -> hs.registerClient("changer", SignatureScheme.ED25519));
    hs.auth().registerClient(TestHomeserver.clientRequest("changer", TestSigningKey.generate(SignatureScheme.ED25519))
        .setPassword("a brand new password").build());
  }

  @Test
  void renewedCredentialIsFreshForTheSameKey() {
    hs.registerUser("renewer");
    TestClient client = hs.registerClient("renewer", SignatureScheme.ED25519);
    var renewed = hs.auth(hs.session(client)).renewCredential(RenewCredentialRequest.getDefaultInstance());
    assertEquals(2, renewed.getCertificateChainCount());
    assertTrue(!renewed.getCertificateChain(0).equals(client.chain().getFirst()), "a new certificate");
    assertEquals(client.chain().get(1), renewed.getCertificateChain(1), "the same intermediate");
  }

  @Test
  void closedRegistrationStoresNoUser() throws Exception {
    try (TestHomeserver closed = TestHomeserver.start(Map.of("auth.registration", "closed"))) {
      assertFails(Code.PERMISSION_DENIED, ErrorReason.REGISTRATION_CLOSED,
          () -> closed.auth().registerUser(user("closedout")));
      assertEquals(0, users(closed));
    }
  }

  @Test
  void inviteTokenWorksOnceAndWrongOnesAreRefused() throws Exception {
    try (TestHomeserver invite = TestHomeserver.start(Map.of("auth.registration", "invite"))) {
      String token = invite.admin().createInvite(CreateInviteRequest.newBuilder().setNote("for bob").build())
          .getInvite().getToken();
      assertFails(Code.PERMISSION_DENIED, ErrorReason.INVITE_INVALID,
          () -> invite.auth().registerUser(user("nobody")));
      assertFails(Code.PERMISSION_DENIED, ErrorReason.INVITE_INVALID,
          () -> invite.auth().registerUser(user("nobody").toBuilder().setInviteToken(token + "x").build()));
      assertEquals(0, users(invite));

      // A taken handle does not spend the invite.
      invite.auth().registerUser(RegisterUserRequest.newBuilder().setHandle("taken")
          .setPassword(TestHomeserver.PASSWORD).setInviteToken(invite.admin().createInvite(
              CreateInviteRequest.getDefaultInstance()).getInvite().getToken()).build());
      assertEquals(1, users(invite));
      assertFails(Code.ALREADY_EXISTS, ErrorReason.HANDLE_TAKEN, () -> invite.auth().registerUser(
          user("taken").toBuilder().setInviteToken(token).build()));
      invite.auth().registerUser(user("bob").toBuilder().setInviteToken(token).build());
      assertFails(Code.PERMISSION_DENIED, ErrorReason.INVITE_INVALID,
          () -> invite.auth().registerUser(user("mallory").toBuilder().setInviteToken(token).build()));
      assertEquals(2, users(invite));
    }
  }

  @Test
  void registrationIsRateLimitedPerPeer() throws Exception {
    try (TestHomeserver limited = TestHomeserver.withRedis(Map.of("auth.registration-rate-per-minute", "3"))) {
      limited.registerUser("rate1");
      limited.registerUser("rate2");
      limited.registerUser("rate3");
      StatusRuntimeException e = assertFails(Code.RESOURCE_EXHAUSTED, ErrorReason.RATE_LIMITED,
          () -> limited.registerUser("rate4"));
      assertTrue(ErrorStatus.retryDelay(e).orElseThrow().toSeconds() > 0, e.toString());
      assertEquals(3, users(limited));
    }
  }

  @Test
  void revocationsSurviveARestart() throws Exception {
    String db = org.homeserver.platform.testing.TestPostgres.freshDatabase().jdbcUrl();
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("hs-test");
    String suspendedToken;
    String deletedClientToken;
    try (TestHomeserver first = TestHomeserver.start(TestHomeserver.configFor(db, dir, Map.of()), java.util.List.of())) {
      first.registerUser("suspended");
      suspendedToken = first.session(first.registerClient("suspended", SignatureScheme.ED25519));
      first.admin().suspendUser(SuspendUserRequest.newBuilder().setUser("suspended").build());
      first.registerUser("keeper");
      TestClient gone = first.registerClient("keeper", SignatureScheme.ED25519);
      deletedClientToken = first.session(gone);
      first.auth(first.session(first.registerClient("keeper", SignatureScheme.ED25519)))
          .deleteClient(DeleteClientRequest.newBuilder().setClientId(gone.clientId()).build());
    }
    try (TestHomeserver second = TestHomeserver.start(TestHomeserver.configFor(db, dir, Map.of()), java.util.List.of())) {
      for (String token : new String[] {suspendedToken, deletedClientToken}) {
        assertFails(Code.UNAUTHENTICATED, ErrorReason.TOKEN_REVOKED,
            () -> second.auth(token).listClients(ListClientsRequest.getDefaultInstance()));
      }
    }
  }

  @Test
  void revocationReachesAnotherProcessAtOnceThroughRedis() throws Exception {
    String db = org.homeserver.platform.testing.TestPostgres.freshDatabase().jdbcUrl();
    Map<String, String> shared = Map.of("redis.url", org.homeserver.platform.testing.TestRedis.URL,
        "redis.key-prefix", "hs-test-" + java.util.UUID.randomUUID() + ":");
    try (TestHomeserver one = TestHomeserver.start(TestHomeserver.configFor(db,
            java.nio.file.Files.createTempDirectory("hs-test"), shared), java.util.List.of());
         TestHomeserver other = TestHomeserver.start(TestHomeserver.configFor(db,
            java.nio.file.Files.createTempDirectory("hs-test"), shared), java.util.List.of())) {
      one.registerUser("roamer");
      String token = one.session(one.registerClient("roamer", SignatureScheme.ED25519));
      other.auth(token).listClients(ListClientsRequest.getDefaultInstance());
      one.admin().suspendUser(SuspendUserRequest.newBuilder().setUser("roamer").build());
      // The other process reloads recorded revocations only every 30 s; well before that, Redis tells it.
      var refused = new java.util.concurrent.atomic.AtomicReference<StatusRuntimeException>();
      Eventually.until("the other process refuses the token", java.time.Duration.ofSeconds(10), () -> {
        try {
          other.auth(token).listClients(ListClientsRequest.getDefaultInstance());
          return false;
        } catch (StatusRuntimeException e) {
          refused.set(e);
          return true;
        }
      });
      assertEquals("TOKEN_REVOKED", ErrorStatus.errorInfo(refused.get()).orElseThrow().getReason());
    }
  }

  @Test
  void badTokensChangeNothing() throws Exception {
    try (TestHomeserver own = TestHomeserver.start(Map.of("auth.access-token-ttl", "2m"))) {
      own.registerUser("guarded");
      TestClient victim = own.registerClient("guarded", SignatureScheme.ED25519);
      TestClient other = own.registerClient("guarded", SignatureScheme.ED25519);
      String expired = own.session(other);
      String revoked = own.session(own.registerClient("guarded", SignatureScheme.ED25519));
      own.auth(revoked).deleteClient(DeleteClientRequest.newBuilder()
          .setClientId(own.auth(revoked).listClients(ListClientsRequest.getDefaultInstance()).getClients(2).getClientId())
          .build());
      String[] parts = own.session(victim).split("\\.");
      String forged = parts[0] + "." + parts[1] + "." + "A".repeat(86);
      own.clock.advance(java.time.Duration.ofMinutes(1));
      String valid = own.session(victim);
      own.clock.advance(java.time.Duration.ofSeconds(61));
      var before = own.auth(valid).listClients(ListClientsRequest.getDefaultInstance());
      for (String bad : new String[] {expired, revoked, forged}) {
        assertFails(Code.UNAUTHENTICATED, null, () -> own.auth(bad)
            .deleteClient(DeleteClientRequest.newBuilder().setClientId(victim.clientId()).build()));
        assertFails(Code.UNAUTHENTICATED, null, () -> own.auth(bad).changePassword(ChangePasswordRequest.newBuilder()
            .setCurrentPassword(TestHomeserver.PASSWORD).setNewPassword("an attacker's password").build()));
        assertFails(Code.UNAUTHENTICATED, null, () -> own.auth(bad).renewCredential(RenewCredentialRequest.getDefaultInstance()));
      }
      assertEquals(before, own.auth(valid).listClients(ListClientsRequest.getDefaultInstance()),
          "same clients, same credentials");
      own.registerClient("guarded", SignatureScheme.ED25519);
    }
  }

  @Test
  void deletedUsersHandleIsHeldBackForTheConfiguredTime() throws Exception {
    try (TestHomeserver own = TestHomeserver.start(Map.of("auth.credential-validity", "2d",
        "auth.deleted-handle-hold", "3d"))) {
      own.registerUser("ghost");
      own.admin().deleteUser(DeleteUserRequest.newBuilder().setUser("ghost").build());
      assertFails(Code.ALREADY_EXISTS, ErrorReason.HANDLE_TAKEN, () -> own.registerUser("ghost"));
      assertEquals(0, users(own));
      own.clock.advance(java.time.Duration.ofDays(3).plusSeconds(1));
      own.registerUser("ghost");
    }
  }

  @Test
  void expiredInviteIsRefused() throws Exception {
    try (TestHomeserver invite = TestHomeserver.start(Map.of("auth.registration", "invite"))) {
      String token = invite.admin().createInvite(CreateInviteRequest.newBuilder().setValidForSeconds(60).build())
          .getInvite().getToken();
      invite.clock.advance(java.time.Duration.ofSeconds(61));
      assertFails(Code.PERMISSION_DENIED, ErrorReason.INVITE_INVALID,
          () -> invite.auth().registerUser(user("toolate").toBuilder().setInviteToken(token).build()));
      assertEquals(0, users(invite));
    }
  }

  @Test
  void passwordGuessesAndChallengesAreRateLimited() throws Exception {
    try (TestHomeserver own = TestHomeserver.start(Map.of("auth.password-attempts-per-minute", "3",
        "auth.challenges-per-minute", "2"))) {
      own.registerUser("guessed");
      TestSigningKey key = TestSigningKey.generate(SignatureScheme.ED25519);
      for (int i = 0; i < 3; i++) {
        assertFails(Code.UNAUTHENTICATED, ErrorReason.WRONG_CREDENTIALS, () -> own.auth().registerClient(
            TestHomeserver.clientRequest("guessed", key).setPassword("guess number one").build()));
      }
      assertFails(Code.RESOURCE_EXHAUSTED, ErrorReason.RATE_LIMITED,
          () -> own.auth().registerClient(TestHomeserver.clientRequest("guessed", key).build()));
      assertEquals(0, clients(own));

      own.registerUser("chatty");
      TestClient client = own.registerClient("chatty", SignatureScheme.ED25519);
      CreateChallengeRequest ask = CreateChallengeRequest.newBuilder().setClientId(client.clientId()).build();
      own.auth().createChallenge(ask);
      own.auth().createChallenge(ask);
      assertFails(Code.RESOURCE_EXHAUSTED, ErrorReason.RATE_LIMITED, () -> own.auth().createChallenge(ask));
    }
  }

  @Test
  void idempotencyKeyIsForgottenAfterADay() throws Exception {
    try (TestHomeserver own = TestHomeserver.start(Map.of())) {
      own.registerUser("patient");
      RegisterClientRequest request = TestHomeserver.clientRequest("patient",
          TestSigningKey.generate(SignatureScheme.ED25519)).setIdempotencyKey("key-for-one-day-only").build();
      String first = own.auth().registerClient(request).getClientId();
      own.clock.advance(java.time.Duration.ofHours(25));
      String second = own.auth().registerClient(request.toBuilder().setLabel("a day later").build()).getClientId();
      assertTrue(!first.equals(second), "a new client");
      assertEquals(2, clients(own));
    }
  }

  @Test
  void adminApiNeedsTheAdminToken() {
    var anonymous = org.homeserver.api.admin.v1.AdminServiceGrpc.newBlockingStub(hs.adminChannel);
    assertFails(Code.UNAUTHENTICATED, ErrorReason.TOKEN_MISSING,
        () -> anonymous.listUsers(ListUsersRequest.getDefaultInstance()));
    assertFails(Code.UNAUTHENTICATED, ErrorReason.TOKEN_INVALID, () -> anonymous
        .withCallCredentials(BearerTokens.credentials("wrong-admin-token-0123456789abcdefghij"))
        .listUsers(ListUsersRequest.getDefaultInstance()));
  }

  @Test
  void clientApiIsNotServedOnTheAdminPortNorAdminOnThePublicPort() {
    StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> org.homeserver.api.admin.v1.AdminServiceGrpc.newBlockingStub(hs.channel)
            .withCallCredentials(BearerTokens.credentials(TestHomeserver.ADMIN_TOKEN))
            .listUsers(ListUsersRequest.getDefaultInstance()));
    assertEquals(Code.UNIMPLEMENTED, e.getStatus().getCode());
    StatusRuntimeException f = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> AuthServiceGrpc.newBlockingStub(hs.adminChannel).getServerInfo(
            org.homeserver.api.auth.v1.GetServerInfoRequest.getDefaultInstance()));
    assertEquals(Code.UNIMPLEMENTED, f.getStatus().getCode());
  }
}
