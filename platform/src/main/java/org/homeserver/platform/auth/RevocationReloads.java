package org.homeserver.platform.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.homeserver.api.auth.v1.AuthInternalServiceGrpc.AuthInternalServiceBlockingStub;
import org.homeserver.api.auth.v1.ListRevocationsRequest;
import org.homeserver.api.auth.v1.Revocation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the recorded revocations from the auth service into this process's list, once before the
 * process serves, then every {@link #INTERVAL}: what a lost signal or a restart missed is back
 * within that time.
 */
public final class RevocationReloads implements AutoCloseable {
  public static final Duration INTERVAL = Duration.ofSeconds(30);
  private static final Logger log = LoggerFactory.getLogger(RevocationReloads.class);

  private final AuthInternalServiceBlockingStub auth;
  private final RevocationList list;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("revocation-reloads").daemon().factory());

  /** Loads now (failing if the auth service cannot answer), then keeps reloading. */
  public static RevocationReloads start(AuthInternalServiceBlockingStub auth, RevocationList list) {
    RevocationReloads reloads = new RevocationReloads(auth, list);
    reloads.reload();
    reloads.timer.scheduleWithFixedDelay(reloads::reloadQuietly, INTERVAL.toMillis(), INTERVAL.toMillis(),
        TimeUnit.MILLISECONDS);
    return reloads;
  }

  private RevocationReloads(AuthInternalServiceBlockingStub auth, RevocationList list) {
    this.auth = auth;
    this.list = list;
  }

  private void reload() {
    list.merge(auth.withDeadlineAfter(10, TimeUnit.SECONDS)
        .listRevocations(ListRevocationsRequest.getDefaultInstance())
        .getRevocationsList().stream()
        .collect(Collectors.toMap(Revocation::getSubject, r -> Instant.ofEpochMilli(r.getRevokedUpToMs()),
            (a, b) -> a.isAfter(b) ? a : b)));
  }

  private void reloadQuietly() {
    try {
      reload();
    } catch (RuntimeException e) {
      log.warn("could not reload revocations from the auth service; will try again in {}", INTERVAL, e);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
