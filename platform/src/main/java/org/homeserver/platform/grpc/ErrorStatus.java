package org.homeserver.platform.grpc;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.time.Duration;
import java.util.Optional;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.platform.errors.Refusal;

/** The gRPC status code of every {@link ErrorReason}, as documented in common.proto. */
public final class ErrorStatus {
  /** The ErrorInfo domain of every error the homeserver sends. */
  public static final String DOMAIN = "homeserver";

  private ErrorStatus() {}

  public static Status.Code codeOf(ErrorReason reason) {
    return switch (reason) {
      case INVALID_ARGUMENT, HANDLE_INVALID, PASSWORD_INVALID, SIGNATURE_KEY_INVALID, DISPLAY_NAME_INVALID,
           KEY_PACKAGE_INVALID, MLS_MESSAGE_MALFORMED, WIRE_FORMAT_NOT_ALLOWED, WELCOME_MISMATCH,
           QUEUE_SEQUENCE_INVALID, ENDPOINT_INVALID, DOMAIN_NOT_LOCAL, GROUP_RULE_BROKEN -> Status.Code.INVALID_ARGUMENT;
      case TOKEN_MISSING, TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_REVOKED, WRONG_CREDENTIALS, FEDERATION_SIGNATURE_INVALID,
           FEDERATION_REPLAYED -> Status.Code.UNAUTHENTICATED;
      case PERMISSION_DENIED, REGISTRATION_CLOSED, INVITE_INVALID, USER_SUSPENDED, PROOF_OF_POSSESSION_INVALID,
           CHALLENGE_SIGNATURE_INVALID, CONNECTION_BLOCKED, NOT_CONNECTED, KEY_PACKAGE_CREDENTIAL_MISMATCH,
           NOT_A_MEMBER, ADD_NOT_ALLOWED, FEDERATION_DENIED, PEER_DOMAIN_MISMATCH, ADD_DOMAIN_FORBIDDEN,
           KEY_PACKAGE_NOT_CLAIMED -> Status.Code.PERMISSION_DENIED;
      case RATE_LIMITED, REQUEST_TOO_LARGE, TOO_MANY_CLIENTS, TOO_MANY_ENDPOINTS, OUTBOX_LANE_FULL ->
          Status.Code.RESOURCE_EXHAUSTED;
      case IDEMPOTENCY_KEY_REUSED, CHALLENGE_INVALID, PREFIX_SEARCH_DISABLED, CLAIM_RIGHT_USED, WRONG_EPOCH,
           PROPOSAL_NOT_FOUND, ENDPOINT_KIND_DISABLED -> Status.Code.FAILED_PRECONDITION;
      case HANDLE_TAKEN, CONNECTION_EXISTS, GROUP_EXISTS -> Status.Code.ALREADY_EXISTS;
      case CLIENT_NOT_FOUND, USER_NOT_FOUND, CONNECTION_NOT_FOUND, NO_KEY_PACKAGE, GROUP_NOT_FOUND,
           ENDPOINT_NOT_FOUND, GROUP_INFO_UNAVAILABLE -> Status.Code.NOT_FOUND;
      case LISTEN_TAKEN_OVER -> Status.Code.ABORTED;
      case UNAVAILABLE, FEDERATION_PEER_UNKNOWN -> Status.Code.UNAVAILABLE;
      case INTERNAL, ERROR_REASON_UNSPECIFIED, UNRECOGNIZED -> Status.Code.INTERNAL;
    };
  }

  /** The status, with its ErrorInfo detail (and BadRequest, if it names fields), that a caller receives for {@code e}. */
  public static StatusRuntimeException toStatus(Refusal e) {
    com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
        .setCode(codeOf(e.reason()).value())
        .setMessage(e.getMessage())
        .addDetails(Any.pack(ErrorInfo.newBuilder()
            .setDomain(DOMAIN)
            .setReason(e.reason().name())
            .putAllMetadata(e.metadata())
            .build()));
    e.retryDelay().ifPresent(delay -> status.addDetails(Any.pack(RetryInfo.newBuilder()
        .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(delay.toSeconds()).setNanos(delay.toNanosPart()))
        .build())));
    if (!e.violations().isEmpty()) {
      BadRequest.Builder badRequest = BadRequest.newBuilder();
      e.violations().forEach(v -> badRequest.addFieldViolations(
          BadRequest.FieldViolation.newBuilder().setField(v.field()).setDescription(v.description())));
      status.addDetails(Any.pack(badRequest.build()));
    }
    return StatusProto.toStatusRuntimeException(status.build());
  }

  /** The ErrorInfo a caller finds in {@code e}, if the server sent one. */
  public static Optional<ErrorInfo> errorInfo(Throwable e) {
    return detail(e, ErrorInfo.class);
  }

  /** How long a caller should wait before it retries, if the server sent a RetryInfo in {@code e}. */
  public static Optional<Duration> retryDelay(Throwable e) {
    return detail(e, RetryInfo.class)
        .map(info -> Duration.ofSeconds(info.getRetryDelay().getSeconds(), info.getRetryDelay().getNanos()));
  }

  private static <T extends Message> Optional<T> detail(Throwable e, Class<T> type) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status == null) {
      return Optional.empty();
    }
    return status.getDetailsList().stream()
        .filter(any -> any.is(type))
        .findFirst()
        .map(any -> {
          try {
            return any.unpack(type);
          } catch (InvalidProtocolBufferException ex) {
            throw new IllegalStateException(ex);
          }
        });
  }
}
