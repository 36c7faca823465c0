package org.homeserver.platform.grpc;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import org.homeserver.api.common.v1.ErrorReason;

/**
 * The one domain error: a documented {@link ErrorReason}, an English sentence for the caller, and
 * facts the caller can act on. {@link ErrorMappingInterceptor} turns it into a gRPC status with an
 * ErrorInfo; anything else thrown by a handler is logged and sent as INTERNAL without detail.
 */
public final class ApiException extends RuntimeException {
  private final ErrorReason reason;
  private final Map<String, String> metadata;
  private final List<FieldViolation> violations;
  private final Optional<Duration> retryDelay;

  /** One field a google.rpc.BadRequest detail blames, for errors that name several at once. */
  public record FieldViolation(String field, String description) {}

  public ApiException(ErrorReason reason, String message) {
    this(reason, message, Map.of());
  }

  public ApiException(ErrorReason reason, String message, Map<String, String> metadata) {
    this(reason, message, metadata, List.of());
  }

  /** An error whose status also carries a BadRequest with {@code violations}, in this order. */
  public ApiException(ErrorReason reason, String message, Map<String, String> metadata,
                      List<FieldViolation> violations) {
    this(reason, message, metadata, violations, Optional.empty());
  }

  private ApiException(ErrorReason reason, String message, Map<String, String> metadata,
                       List<FieldViolation> violations, Optional<Duration> retryDelay) {
    super(message, null, false, false);
    this.reason = reason;
    this.metadata = Map.copyOf(metadata);
    this.violations = List.copyOf(violations);
    this.retryDelay = retryDelay;
  }

  /** An error the caller may retry after {@code delay}: its status carries a google.rpc.RetryInfo. */
  public static ApiException retryable(ErrorReason reason, String message, Map<String, String> metadata,
                                       Duration delay) {
    return new ApiException(reason, message, metadata, List.of(), Optional.of(delay));
  }

  public ErrorReason reason() {
    return reason;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  /** When the caller may try again, for errors that are worth retrying (google.rpc.RetryInfo). */
  public Optional<Duration> retryDelay() {
    return retryDelay;
  }

  /** The fields a BadRequest detail names; none for most errors. */
  public List<FieldViolation> violations() {
    return violations;
  }

  public static ApiException invalid(String message) {
    return new ApiException(ErrorReason.INVALID_ARGUMENT, message);
  }

  /** INVALID_ARGUMENT naming the one field to blame in metadata {@code field} (common.proto). */
  public static ApiException invalidField(String field, String message) {
    return new ApiException(ErrorReason.INVALID_ARGUMENT, message, Map.of("field", field));
  }
}
