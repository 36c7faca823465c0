package org.homeserver.launcher;

import static org.homeserver.launcher.Failures.assertFails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status.Code;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.homeserver.api.admin.v1.SuspendUserRequest;
import org.homeserver.api.auth.v1.AuthInternalServiceGrpc;
import org.homeserver.api.auth.v1.AuthInternalServiceGrpc.AuthInternalServiceBlockingStub;
import org.homeserver.api.auth.v1.DeleteUserRequest;
import org.homeserver.api.auth.v1.GetClientRequest;
import org.homeserver.api.auth.v1.GetTokenKeysRequest;
import org.homeserver.api.auth.v1.ListClientsRequest;
import org.homeserver.api.auth.v1.ListUserClientsRequest;
import org.homeserver.api.auth.v1.RegisteredClient;
import org.homeserver.api.auth.v1.VerifyPasswordRequest;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.launcher.TestHomeserver.TestClient;
import org.homeserver.platform.grpc.BearerTokens;
import org.homeserver.platform.grpc.SharedTokenInterceptor;
import org.homeserver.platform.testing.TestPostgres;
import org.homeserver.platform.testing.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The auth service's internal API, as the other services will call it: over the network, alone. */
class AuthInternalApiTest {
  private static final String INTERNAL_TOKEN = "internal-token-0123456789abcdefghijklmnop";
  private static TestHomeserver hs;
  private static ManagedChannel channel;
  private static AuthInternalServiceBlockingStub internal;

  @BeforeAll
  static void start() throws Exception {
    var config = TestHomeserver.configFor(TestPostgres.freshDatabase().jdbcUrl(), Files.createTempDirectory("hs-test"),
        Map.of("redis.url", TestRedis.URL, "redis.key-prefix", "hs-test-" + java.util.UUID.randomUUID() + ":",
            "internal.token", INTERNAL_TOKEN,
            // Asked only for other domains' AS roots, which this test never asks for.
            "services.federation.address", "127.0.0.1:" + TestHomeserver.freePort()));
    hs = TestHomeserver.start(config, List.of("auth"));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", config.internal().port()).usePlaintext()
        .intercept(SharedTokenInterceptor.sending(INTERNAL_TOKEN)).build();
    internal = AuthInternalServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow();
    hs.close();
  }

  @Test
  void theInternalApiOnTheNetworkNeedsTheSharedToken() throws Exception {
    ManagedChannel anonymous = NettyChannelBuilder.forAddress("127.0.0.1", hs.config.internal().port())
        .usePlaintext().build();
    try {
      assertFails(Code.UNAUTHENTICATED, ErrorReason.TOKEN_MISSING, () -> AuthInternalServiceGrpc
          .newBlockingStub(anonymous).getTokenKeys(GetTokenKeysRequest.getDefaultInstance()));
      assertFails(Code.UNAUTHENTICATED, ErrorReason.TOKEN_INVALID, () -> AuthInternalServiceGrpc
          .newBlockingStub(anonymous).withCallCredentials(BearerTokens.credentials("x".repeat(40)))
          .deleteUser(DeleteUserRequest.newBuilder().setUserId("mimi://example.org/u/nobody").build()));
      assertEquals(1, internal.getTokenKeys(GetTokenKeysRequest.getDefaultInstance()).getKeysCount());
      assertEquals(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING,
          HomeserverLifecycleTest.health(channel, ""));
    } finally {
      anonymous.shutdownNow();
    }
  }

  @Test
  void clientsAreFoundByIdAndByUser() {
    hs.registerUser("carol");
    TestClient ed = hs.registerClient("carol", SignatureScheme.ED25519);
    TestClient p256 = hs.registerClient("carol", SignatureScheme.ECDSA_SECP256R1_SHA256);

    RegisteredClient found = internal.getClient(GetClientRequest.newBuilder().setClientId(p256.clientId()).build()).getClient();
    assertEquals("mimi://example.org/u/carol", found.getUserId());
    assertEquals(SignatureScheme.ECDSA_SECP256R1_SHA256, found.getSignatureScheme());
    assertArrayEquals(p256.key().signatureKey().publicKey(), found.getSignaturePublicKey().toByteArray());

    var all = internal.listUserClients(ListUserClientsRequest.newBuilder().setUserId("mimi://example.org/u/carol").build());
    assertEquals(Set.of(ed.clientId(), p256.clientId()),
        Set.copyOf(all.getClientsList().stream().map(RegisteredClient::getClientId).toList()));

    String unknown = ed.clientId().substring(0, ed.clientId().length() - 12) + "000000000000";
    assertFails(Code.NOT_FOUND, ErrorReason.CLIENT_NOT_FOUND,
        () -> internal.getClient(GetClientRequest.newBuilder().setClientId(unknown).build()));
    assertFails(Code.NOT_FOUND, ErrorReason.CLIENT_NOT_FOUND, () -> internal.getClient(GetClientRequest.newBuilder()
        .setClientId(ed.clientId().replace("example.org", "other.example")).build()));
    assertFails(Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND, () -> internal.listUserClients(
        ListUserClientsRequest.newBuilder().setUserId("mimi://example.org/u/nobody").build()));
  }

  @Test
  void suspensionShowsInTheClientRecord() {
    hs.registerUser("dave");
    TestClient client = hs.registerClient("dave", SignatureScheme.ED25519);
    hs.admin().suspendUser(SuspendUserRequest.newBuilder().setUser("dave").build());
    assertTrue(internal.getClient(GetClientRequest.newBuilder().setClientId(client.clientId()).build())
        .getClient().getSuspended());
  }

  @Test
  void passwordIsCheckedAndDeletionRevokesTokens() {
    hs.registerUser("erin");
    TestClient client = hs.registerClient("erin", SignatureScheme.ED25519);
    String token = hs.session(client);
    internal.verifyPassword(VerifyPasswordRequest.newBuilder().setUserId("mimi://example.org/u/erin")
        .setPassword(TestHomeserver.PASSWORD).build());
    assertFails(Code.UNAUTHENTICATED, ErrorReason.WRONG_CREDENTIALS, () -> internal.verifyPassword(
        VerifyPasswordRequest.newBuilder().setUserId("mimi://example.org/u/erin").setPassword("wrong password").build()));
    assertFails(Code.UNAUTHENTICATED, ErrorReason.WRONG_CREDENTIALS, () -> internal.verifyPassword(
        VerifyPasswordRequest.newBuilder().setUserId("mimi://other.example/u/erin")
            .setPassword(TestHomeserver.PASSWORD).build()));

    internal.deleteUser(DeleteUserRequest.newBuilder().setUserId("mimi://example.org/u/erin").build());
    assertFails(Code.UNAUTHENTICATED, ErrorReason.TOKEN_REVOKED,
        () -> hs.auth(token).listClients(ListClientsRequest.getDefaultInstance()));
    assertFails(Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND,
        () -> internal.deleteUser(DeleteUserRequest.newBuilder().setUserId("mimi://example.org/u/erin").build()));
  }
}
