package org.homeserver.platform.grpc;

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

  public ApiException(ErrorReason reason, String message) {
    this(reason, message, Map.of());
  }

  public ApiException(ErrorReason reason, String message, Map<String, String> metadata) {
    super(message, null, false, false);
    this.reason = reason;
    this.metadata = Map.copyOf(metadata);
  }

  public ErrorReason reason() {
    return reason;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  public static ApiException invalid(String message) {
    return new ApiException(ErrorReason.INVALID_ARGUMENT, message);
  }

  /** INVALID_ARGUMENT naming the one field to blame in metadata {@code field} (common.proto). */
  public static ApiException invalidField(String field, String message) {
    return new ApiException(ErrorReason.INVALID_ARGUMENT, message, Map.of("field", field));
  }
}
