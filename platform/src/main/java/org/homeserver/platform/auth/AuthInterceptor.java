package org.homeserver.platform.auth;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Set;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.platform.grpc.ApiException;
import org.homeserver.platform.grpc.BearerTokens;

/**
 * Every client RPC is authenticated unless its full method name is in the public set: the bearer
 * token is verified locally and the {@link Principal} put in the call's context.
 */
public final class AuthInterceptor implements ServerInterceptor {
  private final AccessTokens.Verifier verifier;
  private final Set<String> publicMethods;

  public AuthInterceptor(AccessTokens.Verifier verifier, Set<String> publicMethods) {
    this.verifier = verifier;
    this.publicMethods = Set.copyOf(publicMethods);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                    ServerCallHandler<Q, R> next) {
    if (publicMethods.contains(call.getMethodDescriptor().getFullMethodName())) {
      return next.startCall(call, headers);
    }
    String token = BearerTokens.from(headers).orElseThrow(() -> new ApiException(ErrorReason.TOKEN_MISSING,
        "this RPC needs `authorization: Bearer <access token>`; get one with AuthService.CreateSession"));
    Principal principal = verifier.verify(token);
    return Contexts.interceptCall(principal.attach(Context.current()), call, headers, next);
  }
}
