package org.homeserver.platform.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import com.google.protobuf.InvalidProtocolBufferException;
import org.homeserver.api.common.v1.ErrorReason;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Wraps every handler (only metrics sit outside it): gives every call a request id, sent back in
 * the {@code x-request-id} trailer, maps {@link ApiException} to its documented status with
 * ErrorInfo, and turns anything else into a bare INTERNAL whose cause is logged under the request
 * id, never sent.
 */
public final class ErrorMappingInterceptor implements ServerInterceptor {
  public static final Metadata.Key<String> REQUEST_ID =
      Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
  public static final Context.Key<String> REQUEST_ID_CONTEXT = Context.key("request-id");
  private static final Logger log = LoggerFactory.getLogger(ErrorMappingInterceptor.class);

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                    ServerCallHandler<Q, R> next) {
    String requestId = UUID.randomUUID().toString();
    ClosingCall<Q, R> closing = new ClosingCall<>(call, requestId);
    Context context = Context.current().withValue(REQUEST_ID_CONTEXT, requestId);
    ServerCall.Listener<Q> listener;
    try {
      listener = Contexts.interceptCall(context, closing, headers, next);
    } catch (RuntimeException e) {
      closing.fail(e);
      return new ServerCall.Listener<>() {};
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(Q message) {
        if (!closing.isClosed()) {
          guard(() -> super.onMessage(message));
        }
      }

      @Override
      public void onHalfClose() {
        if (!closing.isClosed()) {
          guard(super::onHalfClose);
        }
      }

      @Override
      public void onReady() {
        guard(super::onReady);
      }

      @Override
      public void onCancel() {
        guard(super::onCancel);
      }

      @Override
      public void onComplete() {
        guard(super::onComplete);
      }

      private void guard(Runnable step) {
        try {
          step.run();
        } catch (RuntimeException e) {
          closing.fail(e);
        }
      }
    };
  }

  /**
   * Maps any failure to the status the caller is allowed to see: domain errors as they are;
   * documented errors of another homeserver service passed through unchanged; a request that does not
   * parse as INVALID_ARGUMENT; an unreachable service as UNAVAILABLE; anything else as INTERNAL. Only
   * the first two carry a message of their own; the others are logged under the request id.
   */
  public static Status statusFor(Throwable e, String requestId, Metadata trailers) {
    ApiException visible = switch (e) {
      case ApiException api -> api;
      case StatusRuntimeException s when ErrorStatus.errorInfo(s).filter(i -> i.getDomain().equals(ErrorStatus.DOMAIN))
          .isPresent() -> null;
      case StatusRuntimeException s when s.getCause() instanceof InvalidProtocolBufferException ->
          ApiException.invalid("the request is not a valid protobuf message of this RPC's request type");
      case StatusRuntimeException s when s.getStatus().getCode() == Status.Code.UNAVAILABLE
          || s.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED -> {
        logged(e, requestId, "a service this request needs did not answer");
        yield new ApiException(ErrorReason.UNAVAILABLE, "a service this request needs is unavailable; retry later");
      }
      default -> {
        logged(e, requestId, "internal error");
        yield new ApiException(ErrorReason.INTERNAL,
            "internal error; the operator can find it under request id " + requestId);
      }
    };
    StatusRuntimeException status = visible != null ? ErrorStatus.toStatus(visible) : (StatusRuntimeException) e;
    if (status.getTrailers() != null) {
      Metadata forwarded = status.getTrailers();
      forwarded.removeAll(REQUEST_ID);
      trailers.merge(forwarded);
    }
    return status.getStatus();
  }

  private static void logged(Throwable e, String requestId, String what) {
    MDC.put("request_id", requestId);
    try {
      log.error("{} in request {}", what, requestId, e);
    } finally {
      MDC.remove("request_id");
    }
  }

  /** Adds the request id to the trailers and closes at most once. */
  private static final class ClosingCall<Q, R> extends SimpleForwardingServerCall<Q, R> {
    private final String requestId;
    private final AtomicBoolean closed = new AtomicBoolean();

    ClosingCall(ServerCall<Q, R> delegate, String requestId) {
      super(delegate);
      this.requestId = requestId;
    }

    @Override
    public void close(Status status, Metadata trailers) {
      if (closed.compareAndSet(false, true)) {
        trailers.put(REQUEST_ID, requestId);
        super.close(status, trailers);
      }
    }

    boolean isClosed() {
      return closed.get();
    }

    void fail(Throwable e) {
      Metadata trailers = new Metadata();
      Status status = statusFor(e, requestId, trailers);
      close(status, trailers);
    }
  }
}
