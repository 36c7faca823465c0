package org.homeserver.bench.load;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.homeserver.api.directory.v1.AcceptConnectionRequest;
import org.homeserver.api.directory.v1.RequestConnectionRequest;

/**
 * Connects two users through the Directory as their clients would (RequestConnection, then
 * AcceptConnection by the target): the Delivery Service lets a member add only clients of users it
 * is connected with, and claims of KeyPackages take the connection's path.
 */
final class UserConnections {
  private static final long DEADLINE_SECONDS = 60;
  private static final Duration ACCEPT_RETRY = Duration.ofMillis(50);

  private UserConnections() {}

  /**
   * Connects the users of {@code requester} and {@code target}. A link that already exists (another
   * group of the run made it, or is making it) is left as it is: a pending request already lets the
   * requester add the target's clients.
   */
  static void connect(SimulatedClient requester, SimulatedClient target) {
    try {
      requester.directory().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).requestConnection(
          RequestConnectionRequest.newBuilder().setTargetUserId(target.userId())
              .setIdempotencyKey(UUID.randomUUID().toString()).build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
        return;
      }
      throw e;
    }
    target.directory().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).acceptConnection(
        AcceptConnectionRequest.newBuilder().setRequesterUserId(requester.userId()).build());
  }

  /**
   * Connects the users of {@code requester} and {@code target}, clients of different homeservers:
   * the request reaches the target's homeserver through federation a moment after RequestConnection
   * returns, so the target accepts again while its homeserver does not know the request yet.
   */
  static void connectAcrossDomains(SimulatedClient requester, SimulatedClient target, Duration timeout) {
    requester.directory().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).requestConnection(
        RequestConnectionRequest.newBuilder().setTargetUserId(target.userId())
            .setIdempotencyKey(UUID.randomUUID().toString()).build());
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        target.directory().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).acceptConnection(
            AcceptConnectionRequest.newBuilder().setRequesterUserId(requester.userId()).build());
        return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.NOT_FOUND || System.nanoTime() > deadline) {
          throw e;
        }
        LockSupport.parkNanos(ACCEPT_RETRY.toNanos());
      }
    }
  }

  /** One client of each user among {@code clients}, the first, in order: who speaks for the user. */
  static List<SimulatedClient> firstOfEachUser(List<SimulatedClient> clients) {
    return List.copyOf(clients.stream().collect(Collectors.toMap(SimulatedClient::userId, c -> c,
        (first, later) -> first, LinkedHashMap::new)).values());
  }
}
