package org.homeserver.platform.auth;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Optional;
import java.util.Set;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.BearerTokens;

/**
 * Every client RPC is authenticated unless its full method name is in the public set: the bearer
 * token is verified locally and the {@link Principal} put in the call's context. A public RPC
 * called with a valid token gets its principal too; with an invalid one, none.
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
      // A public RPC needs no token, but one that comes with a valid token knows who signs in
      // (a user's own client is trusted further by password checks).
      Optional<Principal> signedIn = BearerTokens.from(headers).flatMap(this::verifiedQuietly);
      return signedIn.isEmpty() ? next.startCall(call, headers)
          : Contexts.interceptCall(signedIn.get().attach(Context.current()), call, headers, next);
    }
    String token = BearerTokens.from(headers).orElseThrow(() -> Refusal.of(ErrorReason.TOKEN_MISSING,
        "this RPC needs `authorization: Bearer <access token>`; get one with AuthService.CreateSession"));
    Principal principal = verifier.verify(token);
    return Contexts.interceptCall(principal.attach(Context.current()), call, headers, next);
  }

  private Optional<Principal> verifiedQuietly(String token) {
    try {
      return Optional.of(verifier.verify(token));
    } catch (Refusal invalid) {
      return Optional.empty();
    }
  }
}
