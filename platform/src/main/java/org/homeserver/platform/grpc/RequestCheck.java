package org.homeserver.platform.grpc;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * An interceptor that checks every request message before its handler sees it; a check refuses a
 * message by throwing, which the error mapping answers.
 */
abstract class RequestCheck implements ServerInterceptor {
  /** Throws if {@code message} (still serialized, or parsed, depending on the chain) may not pass. */
  abstract void check(Object message);

  @Override
  public final <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                          ServerCallHandler<Q, R> next) {
    return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
      @Override
      public void onMessage(Q message) {
        check(message);
        super.onMessage(message);
      }
    };
  }
}
