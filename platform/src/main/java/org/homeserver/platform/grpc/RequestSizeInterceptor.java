package org.homeserver.platform.grpc;

import com.google.protobuf.MessageLite;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Map;
import org.homeserver.api.common.v1.ErrorReason;

/**
 * Rejects request messages larger than a service's limit with RESOURCE_EXHAUSTED /
 * REQUEST_TOO_LARGE before the handler sees them. (The transport refuses anything far larger on
 * its own, without reading it.)
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
        if (message instanceof MessageLite m && m.getSerializedSize() > limitBytes) {
          throw new ApiException(ErrorReason.REQUEST_TOO_LARGE,
              "the request is larger than the " + limitBytes + " bytes this RPC accepts",
              Map.of("limit_bytes", Long.toString(limitBytes)));
        }
        super.onMessage(message);
      }
    };
  }
}
