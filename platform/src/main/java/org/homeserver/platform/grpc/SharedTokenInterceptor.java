package org.homeserver.platform.grpc;

import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.stub.MetadataUtils;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.platform.errors.Refusal;

/**
 * Admits only calls that carry one configured bearer token (the operator's admin token, or the
 * token the services share for their internal APIs); compares in constant time.
 */
public final class SharedTokenInterceptor implements ServerInterceptor {
  private final byte[] expected;
  private final String api;

  /** @param api what the token guards, for the error message ("the admin API") */
  public SharedTokenInterceptor(String token, String api) {
    this.expected = token.getBytes(StandardCharsets.UTF_8);
    this.api = api;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                    ServerCallHandler<Q, R> next) {
    Optional<String> token = BearerTokens.from(headers);
    if (token.isEmpty()) {
      throw Refusal.of(ErrorReason.TOKEN_MISSING, api + " needs `authorization: Bearer <token>`");
    }
    if (!MessageDigest.isEqual(expected, token.get().getBytes(StandardCharsets.UTF_8))) {
      throw Refusal.of(ErrorReason.TOKEN_INVALID, "wrong token for " + api);
    }
    return next.startCall(call, headers);
  }

  /** The client side: sends {@code token} on every call of a channel. */
  public static ClientInterceptor sending(String token) {
    Metadata headers = new Metadata();
    headers.put(BearerTokens.AUTHORIZATION, "Bearer " + token);
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }
}
