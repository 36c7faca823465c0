package org.homeserver.platform.grpc;

import io.grpc.StatusRuntimeException;
import org.homeserver.api.common.v1.ErrorReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the services queue for other domains when the operator's federation policy forbids one: the
 * gateway refuses to queue it (FEDERATION_DENIED), and the local change it tells of stands; the
 * forbidden domain is not told, then or later.
 */
public final class ForbiddenDomains {
  private static final Logger log = LoggerFactory.getLogger(ForbiddenDomains.class);

  private ForbiddenDomains() {}

  /** Runs {@code enqueue} towards {@code destination}; a FEDERATION_DENIED refusal of it is logged and passed over. */
  public static void skipIfForbidden(String destination, String what, Runnable enqueue) {
    try {
      enqueue.run();
    } catch (StatusRuntimeException e) {
      if (ErrorStatus.errorInfo(e).filter(i -> i.getReason().equals(ErrorReason.FEDERATION_DENIED.name())).isEmpty()) {
        throw e;
      }
      log.info("{} not queued for {}: the federation policy forbids that domain", what, destination);
    }
  }
}
