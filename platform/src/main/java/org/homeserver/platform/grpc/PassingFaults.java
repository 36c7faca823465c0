package org.homeserver.platform.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import java.time.Duration;
import java.util.Optional;
import org.homeserver.platform.db.DatabaseFailure;
import org.homeserver.platform.errors.Refusal;

/**
 * Failures that pass by themselves (a database or Redis that refused or lost a request, a service
 * that did not answer), told apart from bugs: the caller gets UNAVAILABLE with a RetryInfo, never
 * INTERNAL, and the log gets one line instead of a stack trace.
 */
public final class PassingFaults {
  /** When a caller should try again after a passing fault. */
  static final Duration RETRY_AFTER = Duration.ofSeconds(1);
  /** Redis replies that mean "not now" rather than "wrong command". */
  private static final java.util.List<String> TRANSIENT_REPLIES =
      java.util.List.of("LOADING", "BUSY", "NOGROUP", "CLUSTERDOWN", "MASTERDOWN", "READONLY", "TRYAGAIN");

  private PassingFaults() {}

  /** True for a database, Redis or service failure that passes by itself (worth a log line, not a stack trace). */
  public static boolean isPassing(Throwable e) {
    return answer(e).isPresent();
  }

  /** The error to answer {@code e} with, if it is a passing fault; what failed goes in the log line. */
  static Optional<Refusal> answer(Throwable e) {
    if (DatabaseFailure.unknownOutcome(e).isPresent()) {
      return Optional.of(Refusal.outcomeUnknown(RETRY_AFTER,
          "the database failed while this request was being committed, so it may or may not have taken effect; "
              + "retry with the same idempotency key, which returns the first answer if it did"));
    }
    String what = DatabaseFailure.of(e) != DatabaseFailure.OTHER ? "the database"
        : redis(e) ? "Redis"
        : unavailableService(e) ? "a service this request needs"
        : null;
    if (what == null) {
      return Optional.empty();
    }
    return Optional.of(Refusal.unavailable(RETRY_AFTER,
        what + " did not take this request (busy, restarting or unreachable); nothing was done, retry shortly"));
  }

  private static boolean redis(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RedisCommandExecutionException reply) {
        String message = reply.getMessage() == null ? "" : reply.getMessage();
        return TRANSIENT_REPLIES.stream().anyMatch(message::startsWith);
      }
      if (t instanceof RedisException) {
        return true;   // not connected, connection lost, timed out
      }
    }
    return false;
  }

  private static boolean unavailableService(Throwable e) {
    return e instanceof StatusRuntimeException s && (s.getStatus().getCode() == Status.Code.UNAVAILABLE
        || s.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED);
  }
}
