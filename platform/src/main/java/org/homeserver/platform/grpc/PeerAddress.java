package org.homeserver.platform.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** The network address of the caller, for per-peer rate limits; an interceptor puts it in the context. */
public final class PeerAddress implements ServerInterceptor {
  private static final Context.Key<String> KEY = Context.key("peer-address");

  /** The caller's IP address, or "unknown" (in-process calls). */
  public static String current() {
    String peer = KEY.get();
    return peer == null ? "unknown" : peer;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                    ServerCallHandler<Q, R> next) {
    SocketAddress address = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    String peer = address instanceof InetSocketAddress inet && inet.getAddress() != null
        ? inet.getAddress().getHostAddress()
        : "unknown";
    return Contexts.interceptCall(Context.current().withValue(KEY, peer), call, headers, next);
  }
}
