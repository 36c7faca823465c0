package org.homeserver.platform.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.homeserver.api.common.v1.ErrorReason;

/** Admits only calls that carry the operator's admin token; compares in constant time. */
public final class AdminTokenInterceptor implements ServerInterceptor {
  private final byte[] expected;

  public AdminTokenInterceptor(String adminToken) {
    this.expected = adminToken.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                    ServerCallHandler<Q, R> next) {
    Optional<String> token = BearerTokens.from(headers);
    if (token.isEmpty()) {
      throw new ApiException(ErrorReason.TOKEN_MISSING, "the admin API needs `authorization: Bearer <admin token>`");
    }
    if (!MessageDigest.isEqual(expected, token.get().getBytes(StandardCharsets.UTF_8))) {
      throw new ApiException(ErrorReason.TOKEN_INVALID, "wrong admin token");
    }
    return next.startCall(call, headers);
  }
}
