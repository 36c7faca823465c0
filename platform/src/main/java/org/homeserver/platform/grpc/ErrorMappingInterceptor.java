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
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.homeserver.platform.errors.Refusal;

/**
 * Wraps every handler (only metrics sit outside it): gives every call a request id, sent back in
 * the {@code x-request-id} trailer, maps {@link Refusal} to its documented status with
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
   * parse as INVALID_ARGUMENT; a passing fault (an unreachable service, database or Redis) as
   * UNAVAILABLE with a RetryInfo; anything else as INTERNAL. Failures the caller did not cause are
   * logged under the request id.
   */
  public static Status statusFor(Throwable e, String requestId, Metadata trailers) {
    Refusal visible = switch (e) {
      case Refusal refusal -> refusal;
      case StatusRuntimeException s when ErrorStatus.errorInfo(s).filter(i -> i.getDomain().equals(ErrorStatus.DOMAIN))
          .isPresent() -> null;
      case StatusRuntimeException s when s.getCause() instanceof InvalidProtocolBufferException ->
          Refusal.invalid("the request is not a valid protobuf message of this RPC's request type");
      default -> {
        Optional<Refusal> passing = PassingFaults.answer(e);
        if (passing.isPresent()) {
          logged(e, requestId, passing.get().getMessage(), false);
          yield passing.get();
        }
        logged(e, requestId, "internal error", true);
        yield Refusal.of(ErrorReason.INTERNAL,
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

  /**
   * Logs a failure the caller sees only as a status: a bug with its stack trace at ERROR; a passing
   * fault in one WARN line (its stack trace at DEBUG), since an outage repeats it for every call.
   */
  private static void logged(Throwable e, String requestId, String what, boolean bug) {
    MDC.put("request_id", requestId);
    try {
      if (bug) {
        log.error("{} in request {}", what, requestId, e);
      } else {
        log.warn("request {}: {} ({})", requestId, what, rootCause(e));
        log.debug("request {} failed", requestId, e);
      }
    } finally {
      MDC.remove("request_id");
    }
  }

  private static String rootCause(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
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
