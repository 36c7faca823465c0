package org.homeserver.platform.signal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.homeserver.platform.ratelimit.RateLimiter;
import org.homeserver.platform.ratelimit.RedisRateLimiter;
import org.homeserver.platform.testing.Eventually;
import org.homeserver.platform.testing.RedisProcess;
import org.junit.jupiter.api.Test;

/**
 * A Redis of the test's own, killed and started again empty: nothing that uses it fails or waits
 * while it is down, signals say they may be lost, and everything works through it again after.
 */
class RedisOutageTest {
  private static final Duration NOTICE = Duration.ofSeconds(5);

  @Test
  void whileRedisIsDownNothingWaitsOrFailsAndAfterARestartEmptyEverySubscriptionReceivesAgain() throws Exception {
    try (RedisProcess server = RedisProcess.start();
         Redis mine = Redis.connect(server.url(), "outage:");
         Redis other = Redis.connect(server.url(), "outage:")) {
      RedisSignals signals = new RedisSignals(mine);
      RedisSignals publisher = new RedisSignals(other);
      List<String> heard = new CopyOnWriteArrayList<>();
      signals.subscribe("before", m -> heard.add("before:" + new String(m, StandardCharsets.UTF_8)));
      RateLimiter limiter = new RedisRateLimiter(mine, "outage", 2, Duration.ofMinutes(1), Clock.systemUTC());
      assertTrue(signals.reliable());

      server.kill();
      Eventually.until("the probe notices Redis is gone", NOTICE, () -> !mine.up());
      assertFalse(signals.reliable());
      long started = System.nanoTime();
      publisher.publish("before", "lost".getBytes(StandardCharsets.UTF_8));
      signals.subscribe("during", m -> heard.add("during:" + new String(m, StandardCharsets.UTF_8)));
      // Counted in this process meanwhile: the limit still holds, per process.
      assertEquals(List.of(true, true, false), List.of(allowed(limiter), allowed(limiter), allowed(limiter)));
      assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(1)) < 0,
          "nothing waited for the dead Redis");

      server.restart();
      Eventually.until("both connections are back", NOTICE, () -> mine.up() && other.up());
      assertFalse(signals.reliable(), "just back: the subscriptions may not all be renewed yet");
      Eventually.until("signals settle", NOTICE, signals::reliable);
      publisher.publish("before", "1".getBytes(StandardCharsets.UTF_8));
      publisher.publish("during", "2".getBytes(StandardCharsets.UTF_8));
      Eventually.until("both subscriptions receive", NOTICE, () -> heard.size() == 2);
      assertEquals(List.of("before:1", "during:2"), heard);
      // Through Redis again: a fresh window there.
      assertTrue(allowed(limiter));
    }
  }

  private static boolean allowed(RateLimiter limiter) {
    Optional<Duration> wait = limiter.tryAcquire("peer");
    return wait.isEmpty();
  }
}
