package org.homeserver.platform.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.BindableService;
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
      throw new ApiException(ErrorReason.RATE_LIMITED, "slow down", Map.of("retry_after_seconds", "7"));
    }
  }

  @BeforeEach
  void start() throws Exception {
    String name = "error-mapping-" + UUID.randomUUID();
    ServiceModule module = new ServiceModule() {
      @Override public String name() { return "failing"; }
      @Override public List<BindableService> clientServices() { return List.of(); }
      @Override public Set<String> publicMethods() { return Set.of(); }
      @Override public long maxRequestBytes() { return 1024; }
      @Override public List<BindableService> internalServices() { return List.of(new FailingAuth()); }
      @Override public List<BindableService> adminServices() { return List.of(); }
      @Override public void close() {}
    };
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
        () -> AuthServiceGrpc.newBlockingStub(channel).registerUser(RegisterUserRequest.getDefaultInstance()));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertEquals("slow down", e.getStatus().getDescription());
    var info = ErrorStatus.errorInfo(e).orElseThrow();
    assertEquals("RATE_LIMITED", info.getReason());
    assertEquals("7", info.getMetadataOrThrow("retry_after_seconds"));
    assertNotNull(e.getTrailers().get(ErrorMappingInterceptor.REQUEST_ID));
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

  @Test
  void stringsWithNulOrBeyondTheCommonLimitAreRefusedNamingTheField() {
    for (String handle : new String[] {"a\0b", "x".repeat(1025), "é".repeat(513)}) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> AuthServiceGrpc
          .newBlockingStub(channel).registerUser(RegisterUserRequest.newBuilder().setHandle(handle).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertEquals("handle", ErrorStatus.errorInfo(e).orElseThrow().getMetadataOrThrow("field"));
    }
    // At the limit the request reaches the handler (which refuses it for its own reason).
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> AuthServiceGrpc
        .newBlockingStub(channel).registerUser(RegisterUserRequest.newBuilder().setHandle("x".repeat(1024)).build()));
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
