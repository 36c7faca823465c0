package org.homeserver.platform.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.homeserver.platform.signal.Redis;
import org.homeserver.platform.signal.RedisSignals;
import org.homeserver.platform.testing.TestRedis;
import org.junit.jupiter.api.Test;

/** Revocations reach other processes at once, and processes started later, through Redis. */
class RevocationListRedisTest {
  private final Clock clock = Clock.systemUTC();

  @Test
  void revocationInOneProcessIsSeenByARunningAndALaterProcess() throws Exception {
    try (Redis a = TestRedis.connect(); Redis b = TestRedis.connectBeside(a)) {
      RevocationList first = new RevocationList(new RedisSignals(a), Optional.of(a), Duration.ofMinutes(15), clock);
      RevocationList running = new RevocationList(new RedisSignals(b), Optional.of(b), Duration.ofMinutes(15), clock);
      Instant issued = Instant.now().minusSeconds(5);
      assertFalse(running.isRevoked("client-1", issued));

      first.revoke("client-1", Instant.now());

      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (!running.isRevoked("client-1", issued) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertTrue(running.isRevoked("client-1", issued), "a running process hears the revocation");
      try (Redis c = TestRedis.connectBeside(a)) {
        RevocationList later = new RevocationList(new RedisSignals(c), Optional.of(c), Duration.ofMinutes(15), clock);
        assertTrue(later.isRevoked("client-1", issued), "a process started later loads it");
        assertFalse(later.isRevoked("client-2", issued));
        later.close();
      }
      first.close();
      running.close();
    }
  }
}
