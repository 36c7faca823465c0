package org.homeserver.platform.auth;

import org.homeserver.platform.testing.Eventually;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.homeserver.platform.signal.Redis;
import org.homeserver.platform.signal.RedisSignals;
import org.homeserver.platform.testing.TestRedis;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Revocations reach other processes through Redis at once, and through reloads otherwise. */
class RevocationListRedisTest {
  private final Clock clock = Clock.systemUTC();

  @ParameterizedTest
  @EnumSource(TestRedis.Topology.class)
  void revocationInOneProcessReachesARunningProcess(TestRedis.Topology topology) throws Exception {
    try (Redis a = TestRedis.connect(topology); Redis b = TestRedis.connectBeside(a);
         RevocationList first = new RevocationList(new RedisSignals(a), Duration.ofMinutes(15), clock);
         RevocationList running = new RevocationList(new RedisSignals(b), Duration.ofMinutes(15), clock)) {
      Instant issued = Instant.now().minusSeconds(5);
      assertFalse(running.isRevoked("client-1", issued));

      first.revoke("client-1", Instant.now());

      Eventually.until("a running process hears the revocation", Duration.ofSeconds(5),
          () -> running.isRevoked("client-1", issued));
      assertFalse(running.isRevoked("client-2", issued));
      assertFalse(running.isRevoked("client-1", Instant.now().plusSeconds(1)), "later tokens stay valid");
    }
  }

  @ParameterizedTest
  @EnumSource(TestRedis.Topology.class)
  void reloadedRevocationsApplyWithoutAnySignal(TestRedis.Topology topology) throws Exception {
    try (Redis a = TestRedis.connect(topology);
         RevocationList list = new RevocationList(new RedisSignals(a), Duration.ofMinutes(15), clock)) {
      Instant upTo = Instant.now();
      list.merge(Map.of("user-1", upTo));
      assertTrue(list.isRevoked("user-1", upTo));
      assertFalse(list.isRevoked("user-1", upTo.plusMillis(1)));
      list.merge(Map.of("user-1", upTo.minusSeconds(60)));
      assertTrue(list.isRevoked("user-1", upTo), "an older reload never shortens a revocation");
    }
  }
}
