package org.homeserver.platform.auth;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.homeserver.platform.signal.Signals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The revocations every process holds in memory, so a token check costs no network call. The auth
 * service records each revocation durably and announces it here: applied locally at once and
 * published to the other processes. Each process also loads the recorded ones at start and
 * reloads them now and then ({@link #merge}), which covers restarts and signals lost while a
 * connection was down. Entries older than the longest token lifetime are dropped.
 */
public final class RevocationList implements Revocations, AutoCloseable {
  static final String CHANNEL = "revocations";
  private static final Logger log = LoggerFactory.getLogger(RevocationList.class);
  /** Kept a little beyond the token lifetime, for clocks that differ between processes. */
  private static final Duration MARGIN = Duration.ofMinutes(1);
  private static final int MIN_PRUNE_SIZE = 1024;

  private final Map<String, Instant> revokedUpTo = new ConcurrentHashMap<>();
  private final Signals signals;
  private final Duration tokenLifetime;
  private final Clock clock;
  private final Signals.Subscription subscription;
  private volatile int pruneAt = MIN_PRUNE_SIZE;

  public RevocationList(Signals signals, Duration tokenLifetime, Clock clock) {
    this.signals = signals;
    this.tokenLifetime = tokenLifetime;
    this.clock = clock;
    this.subscription = signals.subscribe(CHANNEL, this::applyRemote);
  }

  @Override
  public void revoke(String subject, Instant issuedUpTo) {
    apply(subject, issuedUpTo);
    try {
      signals.publish(CHANNEL, encode(subject, issuedUpTo));
    } catch (RuntimeException e) {
      // The revocation is recorded; the other processes pick it up at their next reload.
      log.warn("could not publish a revocation; other processes learn it at their next reload", e);
    }
  }

  @Override
  public boolean isRevoked(String subject, Instant issuedAt) {
    Instant upTo = revokedUpTo.get(subject);
    return upTo != null && !issuedAt.isAfter(upTo);
  }

  /** Adds recorded revocations (subject to "revoked up to"), as loaded from the auth service. */
  public void merge(Map<String, Instant> recorded) {
    recorded.forEach(this::apply);
  }

  @Override
  public void close() {
    subscription.close();
  }

  private void apply(String subject, Instant issuedUpTo) {
    revokedUpTo.merge(subject, issuedUpTo, (a, b) -> a.isAfter(b) ? a : b);
    // Pruning whenever the list has doubled keeps its cost constant per revocation, with no timer.
    if (revokedUpTo.size() > pruneAt) {
      Instant horizon = clock.instant().minus(tokenLifetime).minus(MARGIN);
      revokedUpTo.values().removeIf(upTo -> upTo.isBefore(horizon));
      pruneAt = Math.max(MIN_PRUNE_SIZE, 2 * revokedUpTo.size());
    }
  }

  private void applyRemote(byte[] message) {
    ByteBuffer buffer = ByteBuffer.wrap(message);
    if (buffer.remaining() < Long.BYTES) {
      return;
    }
    long millis = buffer.getLong();
    apply(StandardCharsets.UTF_8.decode(buffer).toString(), Instant.ofEpochMilli(millis));
  }

  private static byte[] encode(String subject, Instant issuedUpTo) {
    byte[] name = subject.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(Long.BYTES + name.length).putLong(issuedUpTo.toEpochMilli()).put(name).array();
  }
}
