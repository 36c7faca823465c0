package org.homeserver.platform.auth;

import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.homeserver.platform.signal.Redis;
import org.homeserver.platform.signal.Signals;

/**
 * The revocations every process holds in memory, so a token check costs no network call. A
 * revocation is applied locally, published to the other processes, and (with Redis) kept under a
 * key that lives as long as a token can, so a process that starts later still learns it. Entries
 * older than the longest token lifetime are dropped: no token they could refuse is still valid.
 */
public final class RevocationList implements Revocations, AutoCloseable {
  static final String CHANNEL = "revocations";
  private static final String KEY_PREFIX = "revoked:";
  /** Kept a little beyond the token lifetime, for clocks that differ between processes. */
  private static final Duration PRUNE_MARGIN = Duration.ofMinutes(1);

  private static final int MIN_PRUNE_SIZE = 1024;

  private final Map<String, Instant> revokedUpTo = new ConcurrentHashMap<>();
  private volatile int pruneAt = MIN_PRUNE_SIZE;
  private final Signals signals;
  private final Optional<Redis> redis;
  private final Duration tokenLifetime;
  private final Clock clock;
  private final Signals.Subscription subscription;

  public RevocationList(Signals signals, Optional<Redis> redis, Duration tokenLifetime, Clock clock) {
    this.signals = signals;
    this.redis = redis;
    this.tokenLifetime = tokenLifetime;
    this.clock = clock;
    this.subscription = signals.subscribe(CHANNEL, this::applyRemote);
    redis.ifPresent(this::loadLedger);
  }

  @Override
  public void revoke(String subject, Instant issuedUpTo) {
    apply(subject, issuedUpTo);
    byte[] message = encode(subject, issuedUpTo);
    redis.ifPresent(r -> r.commands().sync().set(r.key(KEY_PREFIX + subject), message,
        SetArgs.Builder.px(tokenLifetime.plus(PRUNE_MARGIN).toMillis())));
    signals.publish(CHANNEL, message);
  }

  @Override
  public boolean isRevoked(String subject, Instant issuedAt) {
    Instant upTo = revokedUpTo.get(subject);
    return upTo != null && !issuedAt.isAfter(upTo);
  }

  /** Forgets revocations that no live token can fall under. */
  private void prune() {
    Instant horizon = clock.instant().minus(tokenLifetime).minus(PRUNE_MARGIN);
    revokedUpTo.values().removeIf(upTo -> upTo.isBefore(horizon));
  }

  @Override
  public void close() {
    subscription.close();
  }

  private void apply(String subject, Instant issuedUpTo) {
    revokedUpTo.merge(subject, issuedUpTo, (a, b) -> a.isAfter(b) ? a : b);
    // Pruning whenever the list has doubled keeps its cost constant per revocation, with no timer.
    if (revokedUpTo.size() > pruneAt) {
      prune();
      pruneAt = Math.max(MIN_PRUNE_SIZE, 2 * revokedUpTo.size());
    }
  }

  private void applyRemote(byte[] message) {
    ByteBuffer buffer = ByteBuffer.wrap(message);
    if (buffer.remaining() < Long.BYTES) {
      return;
    }
    long millis = buffer.getLong();
    String subject = StandardCharsets.UTF_8.decode(buffer).toString();
    apply(subject, Instant.ofEpochMilli(millis));
  }

  private void loadLedger(Redis r) {
    RedisCommands<String, byte[]> sync = r.commands().sync();
    ScanIterator<String> keys = ScanIterator.scan(sync, ScanArgs.Builder.matches(r.key(KEY_PREFIX) + "*").limit(500));
    while (keys.hasNext()) {
      byte[] value = sync.get(keys.next());
      if (value != null) {
        applyRemote(value);
      }
    }
  }

  private static byte[] encode(String subject, Instant issuedUpTo) {
    byte[] name = subject.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(Long.BYTES + name.length).putLong(issuedUpTo.toEpochMilli()).put(name).array();
  }
}
