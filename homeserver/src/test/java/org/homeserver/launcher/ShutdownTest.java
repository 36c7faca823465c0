package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.homeserver.mls.TestMessages;
import org.homeserver.notifier.testing.LoopbackReceiver;
import org.homeserver.notifier.testing.WebPushReceiver;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM stops a serving process in the reverse order of its start: no call is taken, the workers
 * stop, the pools close, and only then the embedded PostgreSQL; nothing on the way fails.
 */
class ShutdownTest {
  private static final int MESSAGES = 20;

  @Test
  void sigtermWhilePushJobsAreRetriedExitsCleanlyWithNothingLoggedAsBroken() throws Exception {
    try (WebPushReceiver receiver = new WebPushReceiver()) {
      // Every push is refused, so every job stays in flight: retried with backoff by the workers.
      receiver.answerWith(n -> LoopbackReceiver.Answer.of(503));
      Path dataDir = Files.createTempDirectory("hs-shutdown");
      HomeserverProcess server = HomeserverProcess.start(Map.of(
          "data-dir", dataDir.toString(),
          "database.embedded-port", Integer.toString(TestHomeserver.freePort()),
          "notifier.allow-loopback-endpoints", "true"));
      long logBeforeStop;
      try {
        TestHomeserver.registerUser(server.channel, "alice");
        TestHomeserver.registerUser(server.channel, "bob");
        TestHomeserver.connectAll(server.channel, "alice", "bob");
        TestMember alice = TestMember.register(server.channel, "alice");
        TestMember bob = TestMember.register(server.channel, "bob");
        byte[] groupId = alice.createGroupWith(bob, Instant.now());
        bob.drain();
        bob.registerWebPush(receiver);
        for (int i = 0; i < MESSAGES; i++) {
          alice.send(TestMessages.application(groupId, 1, 32));
        }
        receiver.awaitAttempts(MESSAGES, Duration.ofSeconds(60));
        logBeforeStop = Files.size(server.logPath());
      } catch (Exception | Error e) {
        server.close();
        throw e;
      }

      int status = server.terminate();

      byte[] log = Files.readAllBytes(server.logPath());
      String afterStop = new String(log, (int) logBeforeStop, log.length - (int) logBeforeStop, StandardCharsets.UTF_8);
      assertEquals(0, status, "the exit status after SIGTERM; the log:\n" + server.logTail(60));
      List<String> broken = afterStop.lines()
          .filter(l -> l.contains(" ERROR ") || l.contains(" WARN ") || l.startsWith("\tat ") || l.contains("Exception"))
          .toList();
      assertEquals(List.of(), broken, "what the shutdown logged:\n" + afterStop);
      assertTrue(afterStop.contains("homeserver example.org stopped"), afterStop);
      assertFalse(Files.exists(dataDir.resolve("postgres").resolve("postmaster.pid")),
          "the embedded PostgreSQL was stopped, not left running");
    }
  }
}
