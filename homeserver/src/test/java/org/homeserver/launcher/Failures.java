package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.platform.grpc.ErrorStatus;
import org.junit.jupiter.api.function.Executable;

/** Asserts what a caller sees when a call fails: the status code and the documented ErrorInfo reason. */
final class Failures {
  private Failures() {}

  /** {@code reason} null: any documented reason, as long as there is one. */
  static StatusRuntimeException assertFails(Status.Code code, ErrorReason reason, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), () -> "status of " + e);
    if (reason == null) {
      assertEquals(ErrorStatus.DOMAIN, ErrorStatus.errorInfo(e).orElseThrow().getDomain());
      return e;
    }
    assertEquals(reason.name(), ErrorStatus.errorInfo(e).orElseThrow(() -> new AssertionError("no ErrorInfo in " + e))
        .getReason(), () -> "reason of " + e);
    assertEquals(ErrorStatus.DOMAIN, ErrorStatus.errorInfo(e).get().getDomain());
    return e;
  }

  /** The ErrorInfo metadata of a failure. */
  static Map<String, String> metadata(StatusRuntimeException e) {
    return ErrorStatus.errorInfo(e).orElseThrow().getMetadataMap();
  }
}
