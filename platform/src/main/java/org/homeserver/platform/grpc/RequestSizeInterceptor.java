package org.homeserver.platform.grpc;

import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Map;
import org.homeserver.api.common.v1.ErrorReason;

/**
 * Rejects request messages larger than a service's limit with RESOURCE_EXHAUSTED /
 * REQUEST_TOO_LARGE before they are parsed. (The transport refuses anything beyond twice the
 * process's limit on its own, unread, with a bare RESOURCE_EXHAUSTED.)
 */
public final class RequestSizeInterceptor implements ServerInterceptor {
  private final long limitBytes;

  public RequestSizeInterceptor(long limitBytes) {
    this.limitBytes = limitBytes;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                    ServerCallHandler<Q, R> next) {
    return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
      @Override
      public void onMessage(Q message) {
        if (size(message) > limitBytes) {
          throw new ApiException(ErrorReason.REQUEST_TOO_LARGE,
              "the request is larger than the " + limitBytes + " bytes this RPC accepts",
              Map.of("limit_bytes", Long.toString(limitBytes)));
        }
        super.onMessage(message);
      }
    };
  }

  /** The size of a message, still serialized (a stream of known length) or already parsed. */
  private static long size(Object message) {
    try {
      return switch (message) {
        case InputStream stream -> stream.available();
        case MessageLite parsed -> parsed.getSerializedSize();
        default -> 0;
      };
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
