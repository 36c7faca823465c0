package org.homeserver.platform.grpc;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.homeserver.api.common.v1.Common;

/**
 * Enforces common.proto's rule for every string of every request, before any work is done: no NUL
 * character (which PostgreSQL cannot store) and, unless the field is marked {@code own_length_rule},
 * at most {@value #MAX_STRING_BYTES} bytes of UTF-8. Fields with tighter rules are checked again by
 * their service.
 */
public final class FieldLimitsInterceptor implements ServerInterceptor {
  public static final int MAX_STRING_BYTES = 1024;

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                    ServerCallHandler<Q, R> next) {
    return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
      @Override
      public void onMessage(Q message) {
        if (message instanceof Message m) {
          check(m, "");
        }
        super.onMessage(message);
      }
    };
  }

  static void check(Message message, String prefix) {
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      String path = prefix + field.getKey().getName();
      List<?> values = field.getKey().isRepeated() ? (List<?>) field.getValue() : List.of(field.getValue());
      for (Object value : values) {
        switch (value) {
          case String s -> checkString(s, path, field.getKey().getOptions().getExtension(Common.ownLengthRule));
          case Message nested -> check(nested, path + ".");
          default -> { }
        }
      }
    }
  }

  private static void checkString(String value, String path, boolean ownLengthRule) {
    if (value.indexOf('\0') >= 0
        || !ownLengthRule && value.getBytes(StandardCharsets.UTF_8).length > MAX_STRING_BYTES) {
      throw ApiException.invalidField(path,
          path + " must be at most " + MAX_STRING_BYTES + " bytes of UTF-8 without NUL characters");
    }
  }
}
