package org.homeserver.platform.grpc;

import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.homeserver.platform.errors.Refusal;

/**
 * Rejects request messages larger than a service's limit with RESOURCE_EXHAUSTED /
 * REQUEST_TOO_LARGE before they are parsed. (The transport refuses anything beyond twice the
 * process's limit on its own, unread, with a bare RESOURCE_EXHAUSTED.)
 */
public final class RequestSizeInterceptor extends RequestCheck {
  private final long limitBytes;

  public RequestSizeInterceptor(long limitBytes) {
    this.limitBytes = limitBytes;
  }

  @Override
  void check(Object message) {
    if (size(message) > limitBytes) {
      throw Refusal.tooLarge(limitBytes, "the request is larger than the " + limitBytes + " bytes this RPC accepts");
    }
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
