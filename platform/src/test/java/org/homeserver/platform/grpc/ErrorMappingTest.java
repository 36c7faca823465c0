package org.homeserver.platform.grpc;

import org.homeserver.platform.errors.Fact;
import org.homeserver.platform.errors.Refusal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.RetryInfo;
import io.grpc.BindableService;
import io.grpc.protobuf.StatusProto;
import io.lettuce.core.RedisConnectionException;
import java.sql.SQLException;
import java.time.Duration;
import org.homeserver.api.auth.v1.CreateChallengeRequest;
import org.homeserver.api.auth.v1.CreateChallengeResponse;
import org.homeserver.api.auth.v1.CreateSessionRequest;
import org.homeserver.api.auth.v1.CreateSessionResponse;
import org.homeserver.api.auth.v1.ListClientsRequest;
import org.homeserver.api.auth.v1.ListClientsResponse;
import org.homeserver.platform.db.CommitOutcomeUnknownException;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.homeserver.api.auth.v1.AuthServiceGrpc;
import org.homeserver.api.auth.v1.GetServerInfoRequest;
import org.homeserver.api.auth.v1.GetServerInfoResponse;
import org.homeserver.api.auth.v1.RegisterUserRequest;
import org.homeserver.api.auth.v1.RegisterUserResponse;
import org.homeserver.api.common.v1.ErrorReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a caller sees when a handler fails: documented errors in full, internal ones not at all. */
class ErrorMappingTest {
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private Server server;
  private ManagedChannel channel;

  /** A service whose handlers fail on purpose. */
  static final class FailingAuth extends AuthServiceGrpc.AuthServiceImplBase {
    @Override
    public void getServerInfo(GetServerInfoRequest request, StreamObserver<GetServerInfoResponse> response) {
      throw new IllegalStateException("database password is hunter2");
    }

    @Override
    public void registerUser(RegisterUserRequest request, StreamObserver<RegisterUserResponse> response) {
      throw Refusal.rateLimited(Duration.ofSeconds(7), "slow down").with(Fact.SCOPE, "user");
    }

    @Override
    public void createChallenge(CreateChallengeRequest request, StreamObserver<CreateChallengeResponse> response) {
      throw new IllegalStateException("statement failed",
          new SQLException("terminating connection due to administrator command", "57P01"));
    }

    @Override
    public void createSession(CreateSessionRequest request, StreamObserver<CreateSessionResponse> response) {
      throw new CommitOutcomeUnknownException(new SQLException("An I/O error occurred", "08006"));
    }

    @Override
    public void listClients(ListClientsRequest request, StreamObserver<ListClientsResponse> response) {
      throw new RedisConnectionException("Connection closed");
    }
  }

  @BeforeEach
  void start() throws Exception {
    String name = "error-mapping-" + UUID.randomUUID();
    ServiceModule module = new ServiceParts("failing", List.of(), Set.of(), 1024, List.of(new FailingAuth()), List.of(),
        List.of(), List.of());
    server = new GrpcServers(meters).inProcessInternalServer(name, List.of(module));
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void domainErrorCarriesItsReasonAndMetadata() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> AuthServiceGrpc.newBlockingStub(channel).registerUser(registration("")));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertEquals("slow down", e.getStatus().getDescription());
    var info = ErrorStatus.errorInfo(e).orElseThrow();
    assertEquals("RATE_LIMITED", info.getReason());
    assertEquals(Map.of("scope", "user"), info.getMetadataMap());
    assertEquals(Duration.ofSeconds(7), retryDelay(e));
    assertNotNull(e.getTrailers().get(ErrorMappingInterceptor.REQUEST_ID));
  }

  private static Duration retryDelay(StatusRuntimeException e) {
    return ErrorStatus.retryDelay(e).orElseThrow(() -> new AssertionError("no RetryInfo in " + e));
  }

  @Test
  void aLostDatabaseConnectionOrRedisIsUnavailableWithARetryDelayNeverInternal() {
    var stub = AuthServiceGrpc.newBlockingStub(channel);
    for (Runnable call : List.<Runnable>of(
        () -> stub.createChallenge(CreateChallengeRequest.getDefaultInstance()),
        () -> stub.listClients(ListClientsRequest.getDefaultInstance()))) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
      assertEquals("UNAVAILABLE", ErrorStatus.errorInfo(e).orElseThrow().getReason());
      assertEquals(Duration.ofSeconds(1), retryDelay(e));
      assertFalse(e.getStatus().getDescription().contains("administrator"), e.getStatus().getDescription());
    }
  }

  @Test
  void aCommitOfUnknownOutcomeSaysSoAndToRetryWithTheSameKey() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> AuthServiceGrpc.newBlockingStub(channel).createSession(CreateSessionRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertEquals("unknown", ErrorStatus.errorInfo(e).orElseThrow().getMetadataOrThrow("outcome"));
    assertTrue(e.getStatus().getDescription().contains("same idempotency key"), e.getStatus().getDescription());
    assertEquals(Duration.ofSeconds(1), retryDelay(e));
  }

  @Test
  void aRateLimitCarriesItsDelayAsRetryInfo() {
    var limiter = new org.homeserver.platform.ratelimit.LocalRateLimiter(0, Duration.ofSeconds(30),
        java.time.Clock.systemUTC());
    Refusal refused = assertThrows(Refusal.class,
        () -> org.homeserver.platform.ratelimit.RateLimits.check(limiter, "k", "slow down"));
    StatusRuntimeException e = ErrorStatus.toStatus(refused);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertEquals(Duration.ofSeconds(30), retryDelay(e));
    // The delay travels once, as RetryInfo, not again as metadata.
    assertEquals(Map.of(), ErrorStatus.errorInfo(e).orElseThrow().getMetadataMap());
  }

  @Test
  void unexpectedFailureIsInternalWithoutDetailButWithARequestId() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> AuthServiceGrpc.newBlockingStub(channel).getServerInfo(GetServerInfoRequest.getDefaultInstance()));
    assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
    assertEquals("INTERNAL", ErrorStatus.errorInfo(e).orElseThrow().getReason());
    String requestId = e.getTrailers().get(ErrorMappingInterceptor.REQUEST_ID);
    assertNotNull(requestId);
    assertFalse(e.toString().contains("hunter2"), e.toString());
    assertFalse(e.getStatus().getDescription().contains("IllegalStateException"), e.getStatus().getDescription());
    assertEquals("internal error; the operator can find it under request id " + requestId, e.getStatus().getDescription());
  }

  /** Sends {@code bytes} as the request of RegisterUser, unparsed, as a buggy or hostile client could. */
  private byte[] rawRegisterUser(byte[] bytes) {
    MethodDescriptor.Marshaller<byte[]> raw = new MethodDescriptor.Marshaller<>() {
      @Override public InputStream stream(byte[] value) { return new ByteArrayInputStream(value); }
      @Override public byte[] parse(InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
    MethodDescriptor<byte[], byte[]> method = AuthServiceGrpc.getRegisterUserMethod().toBuilder(raw, raw).build();
    return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT, bytes);
  }

  @Test
  void requestThatDoesNotParseIsInvalidArgument() {
    byte[][] malformed = {
        {0x0a, 0x05, 'a'},                          // a string field longer than the message
        {0x0a, 0x02, (byte) 0xc3, (byte) 0x28},      // a string field that is not UTF-8
        {(byte) 0xff, (byte) 0xff, (byte) 0xff},     // a broken tag
    };
    for (byte[] bytes : malformed) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> rawRegisterUser(bytes));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
      assertEquals("INVALID_ARGUMENT", ErrorStatus.errorInfo(e).orElseThrow().getReason());
      assertNotNull(e.getTrailers().get(ErrorMappingInterceptor.REQUEST_ID));
    }
  }

  /** A registration whose fields keep their own rules, so only {@code inviteToken} can break one. */
  private static RegisterUserRequest registration(String inviteToken) {
    return RegisterUserRequest.newBuilder().setHandle("alice").setPassword("correct horse")
        .setInviteToken(inviteToken).build();
  }

  @Test
  void stringsWithNulOrBeyondTheCommonLimitAreRefusedNamingTheField() {
    for (String token : new String[] {"a\0b", "x".repeat(1025), "é".repeat(513)}) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> AuthServiceGrpc.newBlockingStub(channel).registerUser(registration(token)));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertEquals("INVALID_ARGUMENT", ErrorStatus.errorInfo(e).orElseThrow().getReason());
      assertEquals("invite_token", ErrorStatus.errorInfo(e).orElseThrow().getMetadataOrThrow("field"));
    }
    // At the limit the request reaches the handler (which refuses it for its own reason).
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> AuthServiceGrpc.newBlockingStub(channel).registerUser(registration("x".repeat(1024))));
    assertEquals("RATE_LIMITED", ErrorStatus.errorInfo(e).orElseThrow().getReason());
  }

  @Test
  void failuresAreCountedByCode() {
    assertThrows(StatusRuntimeException.class,
        () -> AuthServiceGrpc.newBlockingStub(channel).getServerInfo(GetServerInfoRequest.getDefaultInstance()));
    assertEquals(1, meters.get("grpc.server.calls").tag("method", "GetServerInfo").tag("code", "INTERNAL").timer().count());
  }

  @Test
  void everyReasonHasAStatusCode() {
    for (ErrorReason reason : ErrorReason.values()) {
      if (reason != ErrorReason.UNRECOGNIZED) {
        assertNotNull(ErrorStatus.codeOf(reason), reason.name());
      }
    }
    assertEquals(Status.Code.FAILED_PRECONDITION, ErrorStatus.codeOf(ErrorReason.WRONG_EPOCH));
    assertEquals(Status.Code.ALREADY_EXISTS, ErrorStatus.codeOf(ErrorReason.HANDLE_TAKEN));
  }
}
