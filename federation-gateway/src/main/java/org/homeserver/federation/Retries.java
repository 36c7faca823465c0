package org.homeserver.federation;

import io.grpc.Status;

/** Which failures of a delivery the sender retries (federation.proto, DELIVERY AND RETRIES); any other is final. */
public final class Retries {
  private Retries() {}

  public static boolean retriable(Status.Code code) {
    return switch (code) {
      case UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, RESOURCE_EXHAUSTED, ABORTED -> true;
      default -> false;
    };
  }
}
