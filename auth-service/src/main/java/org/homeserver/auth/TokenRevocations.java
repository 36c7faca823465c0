package org.homeserver.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.homeserver.auth.AuthStore.Revocation;
import org.homeserver.platform.auth.Revocations;
import org.jdbi.v3.core.Handle;

/**
 * Revokes tokens durably: a revocation is recorded in the transaction of the change that causes it
 * (suspension, deletion), then announced to every process once that transaction has committed.
 * Processes reload the recorded ones at start and now and then, so none is lost to a restart or a
 * missed signal.
 */
final class TokenRevocations {
  /** Kept this much beyond the token lifetime, for clocks that differ between processes. */
  private static final Duration MARGIN = Duration.ofMinutes(1);

  private final AuthStore store;
  private final Revocations live;
  private final Duration tokenLifetime;
  private final Clock clock;

  TokenRevocations(AuthStore store, Revocations live, Duration tokenLifetime, Clock clock) {
    this.store = store;
    this.live = live;
    this.tokenLifetime = tokenLifetime;
    this.clock = clock;
  }

  /** A revocation of every token of {@code subject} issued up to now. */
  Revocation of(Object subject) {
    Instant now = clock.instant();
    return new Revocation(subject.toString(), now, now.plus(tokenLifetime).plus(MARGIN));
  }

  void record(Handle h, Revocation revocation) {
    store.recordRevocation(h, revocation);
  }

  /** After the recording transaction committed: every process refuses the tokens from now on. */
  void announce(Revocation revocation) {
    live.revoke(revocation.subject(), revocation.upTo());
  }

  List<Revocation> active() {
    return store.activeRevocations(clock.instant());
  }
}
