package org.homeserver.launcher;

import static org.homeserver.launcher.Failures.assertFails;
import static org.homeserver.launcher.Failures.metadata;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.util.Map;
import java.util.UUID;
import org.homeserver.api.admin.v1.GetUserRequest;
import org.homeserver.platform.grpc.ErrorStatus;
import org.homeserver.api.auth.v1.AuthServiceGrpc;
import org.homeserver.api.auth.v1.ChangePasswordRequest;
import org.homeserver.api.auth.v1.CreateChallengeRequest;
import org.homeserver.api.auth.v1.RegisterUserRequest;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.api.directory.v1.DeleteAccountRequest;
import org.homeserver.auth.TestSigningKey;
import org.homeserver.platform.grpc.BearerTokens;
import org.homeserver.platform.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The abuse limits cannot be turned against the owner: guesses spend the guesser's budget, many
 * addresses together only lock out callers who are not signed in as the user's own client, unknown
 * client ids are limited per address, and behind a trusted proxy the forwarded address is the
 * caller (while a client that is not a proxy cannot pick its own). The loopback addresses the test
 * connects from are the trusted proxies; each "address" below is forwarded by them.
 */
class AbuseLimitsTest {
  private static final int ATTEMPTS = 3;
  private static final int FAILURES = 5;
  private static TestHomeserver hs;

  @BeforeAll
  static void start() throws Exception {
    hs = TestHomeserver.start(Map.of("server.trusted-proxies", "127.0.0.1,::1",
        "auth.password-attempts-per-minute", Integer.toString(ATTEMPTS),
        "auth.password-failures-per-hour", Integer.toString(FAILURES),
        "auth.unknown-client-attempts-per-minute", "3"));
  }

  @AfterAll
  static void stop() {
    hs.close();
  }

  /** The auth API as a client at {@code address} behind the proxy sees it. */
  private static AuthServiceGrpc.AuthServiceBlockingStub from(String address) {
    Metadata forwarded = new Metadata();
    forwarded.put(Metadata.Key.of("x-forwarded-for", Metadata.ASCII_STRING_MARSHALLER), address);
    return hs.auth().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(forwarded));
  }

  private static void wrongGuess(String handle, String address) {
    assertFails(Code.UNAUTHENTICATED, ErrorReason.WRONG_CREDENTIALS, () -> from(address).registerClient(
        TestHomeserver.clientRequest(handle, TestSigningKey.generate(SignatureScheme.ED25519))
            .setPassword("not the password").build()));
  }

  private static void registersAClient(String handle, AuthServiceGrpc.AuthServiceBlockingStub stub) {
    assertTrue(stub.registerClient(TestHomeserver.clientRequest(handle, TestSigningKey.generate(SignatureScheme.ED25519))
        .build()).getClientId().startsWith("mimi://example.org/c/" + handle + "/"));
  }

  @Test
  void aGuesserSpendsOnlyItsOwnBudgetAndTheOwnerElsewhereStillGetsIn() {
    hs.registerUser("guessed");
    for (int i = 0; i < ATTEMPTS; i++) {
      wrongGuess("guessed", "203.0.113.7");
    }
    StatusRuntimeException limited = assertFails(Code.RESOURCE_EXHAUSTED, ErrorReason.RATE_LIMITED,
        () -> registersAClient("guessed", from("203.0.113.7")));
    assertTrue(ErrorStatus.retryDelay(limited).orElseThrow().toSeconds() > 0, limited.toString());
    // The owner, at its own address, with the right password: in at once.
    registersAClient("guessed", from("198.51.100.20"));
  }

  @Test
  void manyAddressesTogetherLockOutOnlyCallersNotSignedInAsTheUsersClient() {
    hs.registerUser("targeted");
    TestHomeserver.TestClient phone = hs.registerClient("targeted", SignatureScheme.ED25519);
    for (int i = 0; i < FAILURES; i++) {
      wrongGuess("targeted", "192.0.2." + (10 + i));
    }
    // A fresh address, even with the right password, is now refused, and told why.
    StatusRuntimeException locked = assertFails(Code.RESOURCE_EXHAUSTED, ErrorReason.RATE_LIMITED,
        () -> registersAClient("targeted", from("192.0.2.200")));
    assertEquals("user", metadata(locked).get("scope"));

    // The owner, signed in on its phone, adds a laptop, changes its password: both work.
    String token = hs.session(phone);
    registersAClient("targeted", from("192.0.2.201").withCallCredentials(BearerTokens.credentials(token)));
    hs.auth(token).changePassword(ChangePasswordRequest.newBuilder().setCurrentPassword(TestHomeserver.PASSWORD)
        .setNewPassword(TestHomeserver.PASSWORD + "!").build());
    hs.auth(token).changePassword(ChangePasswordRequest.newBuilder().setCurrentPassword(TestHomeserver.PASSWORD + "!")
        .setNewPassword(TestHomeserver.PASSWORD).build());
    // Its correct password, signed in, cleared the count: anyone with the password gets in again.
    registersAClient("targeted", from("192.0.2.202"));
  }

  @Test
  void theOwnerSignedInCanStillDeleteItsAccountWhileOthersAreLockedOut() {
    hs.registerUser("leaving");
    TestMember member = TestMember.register(hs, "leaving");
    for (int i = 0; i < FAILURES; i++) {
      wrongGuess("leaving", "192.0.2." + (100 + i));
    }
    assertFails(Code.RESOURCE_EXHAUSTED, ErrorReason.RATE_LIMITED, () -> registersAClient("leaving", from("192.0.2.99")));
    member.directory().deleteAccount(DeleteAccountRequest.newBuilder().setPassword(TestHomeserver.PASSWORD).build());
    assertFails(Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND, () -> hs.admin().getUser(
        GetUserRequest.newBuilder().setUser("leaving").build()));
  }

  @Test
  void challengesForUnknownClientIdsAreLimitedPerAddress() {
    hs.registerUser("known");
    TestHomeserver.TestClient known = hs.registerClient("known", SignatureScheme.ED25519);
    for (int i = 0; i < 3; i++) {
      String unknown = "mimi://example.org/c/known/" + UUID.randomUUID();
      assertFails(Code.NOT_FOUND, ErrorReason.CLIENT_NOT_FOUND, () -> from("203.0.113.50").createChallenge(
          CreateChallengeRequest.newBuilder().setClientId(unknown).build()));
    }
    // The prober is refused before any lookup, even for a real id; everyone else is not.
    assertFails(Code.RESOURCE_EXHAUSTED, ErrorReason.RATE_LIMITED, () -> from("203.0.113.50").createChallenge(
        CreateChallengeRequest.newBuilder().setClientId(known.clientId()).build()));
    from("203.0.113.51").createChallenge(CreateChallengeRequest.newBuilder().setClientId(known.clientId()).build());
  }

  @Test
  void aClientThatIsNotATrustedProxyCannotChooseItsAddress() throws Exception {
    try (TestHomeserver direct = TestHomeserver.start(Map.of("auth.registration-rate-per-minute", "2"))) {
      Metadata forged = new Metadata();
      Metadata.Key<String> header = Metadata.Key.of("x-forwarded-for", Metadata.ASCII_STRING_MARSHALLER);
      for (int i = 0; i < 2; i++) {
        forged.put(header, "198.51.100." + i);
        direct.auth().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(forged)).registerUser(
            RegisterUserRequest.newBuilder().setHandle("forger" + i).setPassword(TestHomeserver.PASSWORD).build());
        forged.removeAll(header);
      }
      forged.put(header, "198.51.100.77");
      assertFails(Code.RESOURCE_EXHAUSTED, ErrorReason.RATE_LIMITED, () -> direct.auth()
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(forged))
          .registerUser(RegisterUserRequest.newBuilder().setHandle("forger9").setPassword(TestHomeserver.PASSWORD).build()));
    }
  }

  @Test
  void anOversizedRequestFromAnyoneLogsOneLineAtMostNeverAStackTrace() throws Exception {
    try (HomeserverProcess process = HomeserverProcess.start(Map.of("database.url",
        TestPostgres.freshDatabase().jdbcUrl()))) {
      for (int i = 0; i < 3; i++) {
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> TestHomeserver
            .auth(process.channel).registerUser(RegisterUserRequest.newBuilder().setHandle("huge")
                .setPassword("p".repeat(9 * 1024 * 1024)).build()));
        assertEquals(Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
      }
      TestHomeserver.registerUser(process.channel, "after");
      String log = Files.readString(process.logPath());
      assertFalse(log.contains("\tat "), log);
      assertFalse(log.contains("exceeds maximum size"), log);
    }
  }
}
