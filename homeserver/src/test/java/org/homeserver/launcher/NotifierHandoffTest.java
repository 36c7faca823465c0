package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.homeserver.delivery.DeliveryModule;
import org.homeserver.mls.TestMessages;
import org.homeserver.notifier.testing.WebPushReceiver;
import org.homeserver.platform.config.HomeserverConfig;
import org.homeserver.platform.testing.CapturedLogs;
import org.homeserver.platform.testing.Eventually;
import org.homeserver.platform.testing.TestPostgres;
import org.homeserver.platform.testing.TestRedis;
import org.junit.jupiter.api.Test;

/**
 * The delivery service's hand-off to the notifier loses nothing: with the notifier down when a
 * message is queued, the queue stays marked unnotified and the sweep hands it over once the notifier
 * is back, exactly once.
 */
class NotifierHandoffTest {
  private static final String INTERNAL_TOKEN = "internal-token-0123456789abcdefghijklmnop";

  @Test
  void aNotificationTheNotifierMissedIsHandedOverWhenItIsBack() throws Exception {
    String database = TestPostgres.freshDatabase().jdbcUrl();
    int notifierInternalPort = TestHomeserver.freePort();
    Map<String, String> shared = Map.of(
        "redis.url", TestRedis.URL,
        "redis.key-prefix", "hs-test-" + UUID.randomUUID() + ":",
        "internal.token", INTERNAL_TOKEN,
        "notifier.allow-loopback-endpoints", "true");
    HomeserverConfig mainConfig = TestHomeserver.configFor(database, Files.createTempDirectory("hs-main"),
        with(shared, "services.notifier.address", "127.0.0.1:" + notifierInternalPort));
    try (CapturedLogs logs = CapturedLogs.ofPackage("org.homeserver.delivery").from(Level.INFO);
         TestHomeserver main = TestHomeserver.start(mainConfig,
             List.of("auth", "directory", "keypackage", "delivery", "federation"));
         WebPushReceiver receiver = new WebPushReceiver()) {
      Map<String, String> notifierSettings = with(with(shared, "internal.port", Integer.toString(notifierInternalPort)),
          "services.auth.address", "127.0.0.1:" + mainConfig.internal().port());
      main.registerUser("alice");
      main.registerUser("bob");
      main.connectAll("alice", "bob");
      TestMember alice = TestMember.register(main, "alice");
      TestMember bob = TestMember.register(main, "bob");
      byte[] groupId = alice.createGroupWith(bob, main.clock.instant());
      bob.drain();

      try (TestHomeserver notifier = TestHomeserver.start(
          TestHomeserver.configFor(database, Files.createTempDirectory("hs-notifier"), notifierSettings),
          List.of("notifier"))) {
        bob.via(notifier.channel).registerWebPush(receiver);
      }

      // The notifier is down: the hand-off of this message fails after its retries. Hand-offs go
      // one call at a time, so it is the second to give up, after the one of bob's Welcome.
      alice.send(TestMessages.application(groupId, 1, 32));
      Eventually.until("the hand-offs give up", Duration.ofSeconds(30),
          () -> logs.at(Level.WARN).stream().filter(line -> line.contains("not handed to the notifier")).count() >= 2);
      assertEquals(0, receiver.requestCount());

      try (TestHomeserver ignored = TestHomeserver.start(
          TestHomeserver.configFor(database, Files.createTempDirectory("hs-notifier"), notifierSettings),
          List.of("notifier"))) {
        // The sweep takes marks older than its delay: the delivery service's clock moves past it.
        main.clock.advance(Duration.ofSeconds(11));
        main.server.tasks().runNow(DeliveryModule.NOTIFICATION_SWEEP);
        List<WebPushReceiver.Received> pushes = receiver.awaitReceived(1, Duration.ofSeconds(60));
        assertEquals(1, pushes.size());
        assertEquals(true, pushes.getFirst().payload().contains("\"count\":1,"), pushes.getFirst().payload());
        // The mark was cleared: the next sweep, however much later, hands over nothing. (The sweep
        // that delivered may not be the first: a first one can still find the notifier's address
        // refusing connections, under load, and the periodic one then hands it over.)
        List<String> before = handedOver(logs);
        main.clock.advance(Duration.ofSeconds(11));
        main.server.tasks().runNow(DeliveryModule.NOTIFICATION_SWEEP);
        List<String> sweeps = handedOver(logs);
        assertEquals(before, sweeps, "a sweep after the delivery hands nothing over: " + sweeps);
        assertEquals(1, receiver.requestCount());
        assertEquals(List.of(), receiver.rejections());
      }
    }
  }

  @Test
  void whatTheNotifierTookLeavesNoMarkForTheSweep() throws Exception {
    try (CapturedLogs logs = CapturedLogs.ofPackage("org.homeserver.delivery").from(Level.INFO);
         TestHomeserver server = TestHomeserver.start(Map.of("notifier.allow-loopback-endpoints", "true"));
         WebPushReceiver receiver = new WebPushReceiver()) {
      for (String handle : List.of("alice", "bob", "carol")) {
        server.registerUser(handle);
      }
      server.connectAll("alice", "bob", "carol");
      TestMember alice = TestMember.register(server, "alice");
      TestMember bob = TestMember.register(server, "bob");
      TestMember carol = TestMember.register(server, "carol");
      byte[] groupId = alice.createGroupWith(List.of(bob, carol), server.clock.instant());
      bob.registerWebPush(receiver);
      carol.registerWebPush(receiver);
      // Sends at once from several threads, so hand-offs overlap and their marks are cleared together.
      try (var senders = java.util.concurrent.Executors.newFixedThreadPool(4)) {
        for (int i = 0; i < 20; i++) {
          senders.execute(() -> alice.send(TestMessages.application(groupId, 1, 32)));
        }
      }
      receiver.awaitAttempts(all -> all.size() >= 2, "pushes to bob and carol", Duration.ofSeconds(30));
      Eventually.until("every mark is cleared", Duration.ofSeconds(30), () -> marked(server) == 0);
      server.clock.advance(Duration.ofSeconds(11));
      server.server.tasks().runNow(DeliveryModule.NOTIFICATION_SWEEP);
      assertEquals(List.of(), handedOver(logs), "a sweep after the hand-offs finds no queue left marked");
    }
  }

  /** Queues and group messages marked unnotified, read from the delivery schema as the sweep would. */
  private static long marked(TestHomeserver server) {
    String url = server.config.database().url().orElseThrow();
    try (var connection = java.sql.DriverManager.getConnection(url, server.config.database().user(),
             server.config.database().password());
         var rows = connection.createStatement().executeQuery(
             "select (select count(*) from delivery.queue_heads where unnotified_since is not null)"
                 + " + (select count(*) from delivery.group_log where unnotified)")) {
      rows.next();
      return rows.getLong(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> handedOver(CapturedLogs logs) {
    return logs.at(Level.INFO).stream().filter(line -> line.startsWith("handing ")).toList();
  }

  private static Map<String, String> with(Map<String, String> settings, String key, String value) {
    var all = new java.util.HashMap<>(settings);
    all.put(key, value);
    return all;
  }
}
