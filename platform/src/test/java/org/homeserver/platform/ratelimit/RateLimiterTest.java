package org.homeserver.platform.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.homeserver.platform.signal.Redis;
import org.homeserver.platform.testing.MutableClock;
import org.homeserver.platform.testing.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RateLimiterTest {
  @Test
  void localLimiterRefusesOverTheLimitUntilTheWindowEnds() {
    AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    Clock clock = new Clock() {
      @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
      @Override public Clock withZone(java.time.ZoneId zone) { return this; }
      @Override public Instant instant() { return now.get(); }
    };
    RateLimiter limiter = new LocalRateLimiter(3, Duration.ofMinutes(1), clock);
    for (int i = 0; i < 3; i++) {
      assertEquals(Optional.empty(), limiter.tryAcquire("peer-a"));
    }
    now.set(now.get().plusSeconds(20));
    assertEquals(Optional.of(Duration.ofSeconds(40)), limiter.tryAcquire("peer-a"));
    assertEquals(Optional.empty(), limiter.tryAcquire("peer-b"), "other peers have their own count");
    now.set(now.get().plusSeconds(40));
    assertEquals(Optional.empty(), limiter.tryAcquire("peer-a"), "a new window");
  }

  @Test
  void localLimiterIsSpentAtTheLimitUntilTheWindowEndsOrIsCleared() {
    MutableClock clock = new MutableClock();
    RateLimiter limiter = new LocalRateLimiter(2, Duration.ofMinutes(1), clock);
    limiter.tryAcquire("peer-a");
    assertFalse(limiter.spent("peer-a"));
    limiter.tryAcquire("peer-a");
    assertTrue(limiter.spent("peer-a"));
    assertFalse(limiter.spent("peer-b"));

    limiter.clear("peer-a");
    assertFalse(limiter.spent("peer-a"));
    limiter.tryAcquire("peer-a");
    limiter.tryAcquire("peer-a");
    assertTrue(limiter.spent("peer-a"));
    clock.advance(Duration.ofMinutes(1));
    assertFalse(limiter.spent("peer-a"), "the window ended");
  }

  @ParameterizedTest
  @EnumSource(TestRedis.Topology.class)
  void redisLimiterIsSharedByProcesses(TestRedis.Topology topology) {
    try (Redis a = TestRedis.connect(topology); Redis b = TestRedis.connectBeside(a)) {
      RateLimiter one = new RedisRateLimiter(a, "register", 2, Duration.ofMinutes(1), java.time.Clock.systemUTC());
      RateLimiter two = new RedisRateLimiter(b, "register", 2, Duration.ofMinutes(1), java.time.Clock.systemUTC());
      assertEquals(Optional.empty(), one.tryAcquire("peer"));
      assertEquals(Optional.empty(), two.tryAcquire("peer"));
      Optional<Duration> refused = one.tryAcquire("peer");
      assertTrue(refused.isPresent());
      assertTrue(refused.get().compareTo(Duration.ofMinutes(1)) <= 0 && !refused.get().isNegative());
      assertEquals(Optional.empty(), two.tryAcquire("other-peer"));
    }
  }
}
