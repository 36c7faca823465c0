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
import java.util.List;
import org.homeserver.platform.net.AddressBlock;

/**
 * The network address of the caller, for per-caller rate limits and logs; an interceptor puts it in
 * the context. Behind the operator's proxies (server.trusted-proxies) it is the address the proxies
 * name in X-Forwarded-For: read from the right, the first one that is not itself a trusted proxy.
 * From anyone else the header is ignored, so a client cannot choose its own bucket.
 */
public final class PeerAddress implements ServerInterceptor {
  static final Metadata.Key<String> FORWARDED_FOR = Metadata.Key.of("x-forwarded-for", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> KEY = Context.key("peer-address");
  private final List<AddressBlock> trustedProxies;

  public PeerAddress(List<AddressBlock> trustedProxies) {
    this.trustedProxies = List.copyOf(trustedProxies);
  }

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
    return Contexts.interceptCall(Context.current().withValue(KEY, client(peer, headers)), call, headers, next);
  }

  /** The client's address: the peer, or, when the peer is a trusted proxy, what the proxies forwarded. */
  String client(String peer, Metadata headers) {
    if (!trusted(peer)) {
      return peer;
    }
    Iterable<String> values = headers.getAll(FORWARDED_FOR);
    if (values == null) {
      return peer;
    }
    List<String> hops = new java.util.ArrayList<>();
    values.forEach(v -> hops.addAll(List.of(v.split(","))));
    String client = peer;
    for (String hop : hops.reversed()) {
      String candidate = hop.strip();
      try {
        AddressBlock.literal(candidate);
      } catch (IllegalArgumentException notAnAddress) {
        return client;   // a malformed hop: trust nothing to its left
      }
      client = candidate;
      if (!trusted(candidate)) {
        return candidate;
      }
    }
    return client;
  }

  private boolean trusted(String address) {
    if (trustedProxies.isEmpty() || address.equals("unknown")) {
      return false;
    }
    byte[] bytes;
    try {
      bytes = AddressBlock.literal(address);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return trustedProxies.stream().anyMatch(block -> block.contains(bytes));
  }
}
