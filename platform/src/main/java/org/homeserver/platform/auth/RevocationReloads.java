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
import org.homeserver.platform.signal.Signals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the recorded revocations from the auth service into this process's list, once before the
 * process serves, then every {@link #INTERVAL}, and every {@link #INTERVAL_WITHOUT_SIGNALS} while
 * signals may be lost: what a lost signal or a restart missed is back within that time.
 */
public final class RevocationReloads implements AutoCloseable {
  public static final Duration INTERVAL = Duration.ofSeconds(30);
  /** How often the list is reloaded while signals may be lost (a revocation then arrives only this way). */
  public static final Duration INTERVAL_WITHOUT_SIGNALS = Duration.ofSeconds(2);
  private static final Logger log = LoggerFactory.getLogger(RevocationReloads.class);

  private final AuthInternalServiceBlockingStub auth;
  private final RevocationList list;
  private final Signals signals;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("revocation-reloads").daemon().factory());
  private long lastReload = System.nanoTime();

  /** Loads now (failing if the auth service cannot answer), then keeps reloading. */
  public static RevocationReloads start(AuthInternalServiceBlockingStub auth, RevocationList list, Signals signals) {
    RevocationReloads reloads = new RevocationReloads(auth, list, signals);
    reloads.reload();
    long check = INTERVAL_WITHOUT_SIGNALS.toMillis() / 2;
    reloads.timer.scheduleWithFixedDelay(reloads::reloadWhenDue, check, check, TimeUnit.MILLISECONDS);
    return reloads;
  }

  private RevocationReloads(AuthInternalServiceBlockingStub auth, RevocationList list, Signals signals) {
    this.auth = auth;
    this.list = list;
    this.signals = signals;
  }

  private void reload() {
    list.merge(auth.withDeadlineAfter(10, TimeUnit.SECONDS)
        .listRevocations(ListRevocationsRequest.getDefaultInstance())
        .getRevocationsList().stream()
        .collect(Collectors.toMap(Revocation::getSubject, r -> Instant.ofEpochMilli(r.getRevokedUpToMs()),
            (a, b) -> a.isAfter(b) ? a : b)));
    lastReload = System.nanoTime();
  }

  private void reloadWhenDue() {
    Duration since = Duration.ofNanos(System.nanoTime() - lastReload);
    if (since.compareTo(signals.reliable() ? INTERVAL : INTERVAL_WITHOUT_SIGNALS) < 0) {
      return;
    }
    try {
      reload();
    } catch (RuntimeException e) {
      log.warn("could not reload revocations from the auth service ({}); trying again shortly", e.toString());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
