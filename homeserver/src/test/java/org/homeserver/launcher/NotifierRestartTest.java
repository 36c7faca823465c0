package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.homeserver.api.notifier.v1.ListEndpointsRequest;
import org.homeserver.mls.TestMessages;
import org.homeserver.notifier.testing.LoopbackReceiver;
import org.homeserver.notifier.testing.WebPushReceiver;
import org.homeserver.platform.testing.Soak;
import org.homeserver.platform.testing.TestPostgres;
import org.homeserver.platform.testing.TestRedis;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Push jobs survive the process: a homeserver killed (SIGKILL) while jobs wait for a push service
 * that answers 503 delivers every one of them after a restart, from the Redis Stream or from the
 * PostgreSQL job table. The suite runs 100 jobs; {@code bench/soak} runs 1,000.
 */
class NotifierRestartTest {
  private static final int JOBS = Soak.size(100, 1000);
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f-]{36})\",\"count\":(\\d+)");

  @ParameterizedTest
  @ValueSource(strings = {"redis", "postgres"})
  void aKilledHomeserverPushesEveryPendingJobAfterItsRestart(String store) throws Exception {
    Map<String, String> settings = new HashMap<>(Map.of(
        "database.url", TestPostgres.freshDatabase().jdbcUrl(),
        "data-dir", Files.createTempDirectory("hs-restart").toString(),
        "notifier.allow-loopback-endpoints", "true",
        // The jobs the killed process held wait this long before the restarted one takes them.
        "notifier.job-lease", "15s"));
    if (store.equals("redis")) {
      settings.put("redis.url", TestRedis.URL);
      settings.put("redis.key-prefix", "hs-test-" + UUID.randomUUID() + ":");
    }
    TestMember bob;
    try (WebPushReceiver receiver = new WebPushReceiver()) {
      receiver.answerWith(n -> LoopbackReceiver.Answer.of(503));
      try (HomeserverProcess doomed = HomeserverProcess.start(settings)) {
        TestHomeserver.registerUser(doomed.channel, "alice");
        TestHomeserver.registerUser(doomed.channel, "bob");
        TestHomeserver.connectAll(doomed.channel, "alice", "bob");
        TestMember alice = TestMember.register(doomed.channel, "alice");
        bob = TestMember.register(doomed.channel, "bob");
        byte[] groupId = alice.createGroupWith(bob, Instant.now());
        bob.drain();
        bob.registerWebPush(receiver);
        for (int i = 0; i < JOBS; i++) {
          alice.send(TestMessages.application(groupId, 1, 32));
        }
        // Every job was stored and tried at least once (and refused): all of them are pending now.
        receiver.awaitAttempts(all -> all.stream().map(a -> idAndCount(a.push().payload()).getKey()).distinct()
            .count() == JOBS, "a push of each of the " + JOBS + " notifications", WAIT);
        doomed.kill();
      }
      receiver.answerWith(n -> LoopbackReceiver.Answer.of(201));
      try (HomeserverProcess restarted = HomeserverProcess.start(settings)) {
        List<WebPushReceiver.Received> pushes = receiver.awaitReceived(JOBS, WAIT);
        Map<String, Long> counts = pushes.stream().map(p -> idAndCount(p.payload()))
            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a));
        assertEquals(JOBS, counts.size(), "each notification once, after deduplication by id");
        assertEquals(Set.copyOf(java.util.stream.LongStream.rangeClosed(1, JOBS).boxed().toList()),
            Set.copyOf(counts.values()), "one push for each of the " + JOBS + " queued messages");
        assertEquals(List.of(), receiver.rejections());
        assertTrue(bob.via(restarted.channel).notifier().listEndpoints(ListEndpointsRequest.getDefaultInstance())
            .getEndpoints(0).hasLastSuccessAt(), "the endpoint records its pushes' success");
      }
    }
  }

  private static Map.Entry<String, Long> idAndCount(String payload) {
    Matcher m = ID.matcher(payload);
    if (!m.find()) {
      throw new AssertionError("payload " + payload);
    }
    return Map.entry(m.group(1), Long.parseLong(m.group(2)));
  }
}
