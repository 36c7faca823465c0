package org.homeserver.launcher;

import org.homeserver.platform.testing.Eventually;
import static org.homeserver.launcher.Failures.assertFails;
import static org.homeserver.launcher.Failures.metadata;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.ListenResponse;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.api.delivery.v1.SetGroupNotificationPolicyRequest;
import org.homeserver.api.notifier.v1.GetDefaultPolicyRequest;
import org.homeserver.api.notifier.v1.GetVapidPublicKeyRequest;
import org.homeserver.api.notifier.v1.ListEndpointsRequest;
import org.homeserver.api.notifier.v1.NotificationKind;
import org.homeserver.api.notifier.v1.NotificationPolicy;
import org.homeserver.api.notifier.v1.RegisterEndpointRequest;
import org.homeserver.api.notifier.v1.SetDefaultPolicyRequest;
import org.homeserver.api.notifier.v1.Urgency;
import org.homeserver.api.notifier.v1.Webhook;
import org.homeserver.mls.TestMessages;
import org.homeserver.notifier.testing.WebPushReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Notifications end to end: a client registers a Web Push endpoint served on loopback by a receiver
 * that checks every VAPID token against the homeserver's key and decrypts every payload; messages,
 * Welcomes and events then reach it by the policy in force (default, group, sender hint, Listen).
 */
class NotificationsTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Pattern PAYLOAD =
      Pattern.compile("\\{\"id\":\"([0-9a-f-]{36})\",\"count\":(\\d+),\"kind\":\"(alert|silent)\"}");
  private static TestHomeserver server;

  private WebPushReceiver receiver;
  private TestMember alice;
  private TestMember bob;
  private byte[] groupId;

  @BeforeAll
  static void start() throws Exception {
    server = TestHomeserver.start(Map.of("notifier.allow-loopback-endpoints", "true"));
    server.registerUser("alice");
    server.registerUser("bob");
    server.connectAll("alice", "bob");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** Alice and a fresh Bob client share a group; Bob's queue is drained and his endpoint registered. */
  @BeforeEach
  void group() {
    alice = TestMember.register(server, "alice");
    bob = TestMember.register(server, "bob");
    groupId = alice.createGroupWith(bob, server.clock.instant());
    bob.drain();
    receiver = new WebPushReceiver();
    receiver.expectVapidKey(bob.notifier().getVapidPublicKey(GetVapidPublicKeyRequest.getDefaultInstance())
        .getPublicKey().toByteArray());
    bob.registerWebPush(receiver);
  }

  @AfterEach
  void close() {
    receiver.close();
  }

  /** One push as the client reads it, but its TTL (which shrinks while a push waits). */
  private record Seen(long count, String kind, String urgency, String topic) {}

  private static Seen seen(WebPushReceiver.Received push) {
    Matcher m = PAYLOAD.matcher(push.payload());
    assertTrue(m.matches(), "payload " + push.payload());
    return new Seen(Long.parseLong(m.group(2)), m.group(3), push.urgency().orElse(""), push.topic().orElse(""));
  }

  private void message(boolean noNotification) {
    alice.delivery().send(SendRequest.newBuilder().setIdempotencyKey(UUID.randomUUID().toString())
        .setNoNotification(noNotification)
        .setMlsMessage(ByteString.copyFrom(TestMessages.application(groupId, 1, 64))).build());
  }

  private void groupPolicy(NotificationPolicy policy) {
    var request = SetGroupNotificationPolicyRequest.newBuilder().setGroupId(ByteString.copyFrom(groupId));
    if (policy != null) {
      request.setPolicy(policy);
    }
    bob.delivery().setGroupNotificationPolicy(request.build());
  }

  private static NotificationPolicy policy(NotificationKind kind, Urgency urgency, long ttl, String topic) {
    return NotificationPolicy.newBuilder().setKind(kind).setUrgency(urgency).setTtlSeconds(ttl)
        .setCollapseTopic(topic).build();
  }

  @Test
  void eachPolicyCombinationGetsExactlyItsPushes() throws Exception {
    List<Seen> expected = new ArrayList<>();
    Map<Long, Long> ttls = new java.util.HashMap<>();
    long count = 0;

    // The server default: alert, a day, normal urgency.
    message(false);
    expected.add(new Seen(++count, "alert", "normal", ""));
    ttls.put(count, 86_400L);
    receiver.awaitReceived(expected.size(), WAIT);

    // The client's default.
    bob.notifier().setDefaultPolicy(SetDefaultPolicyRequest.newBuilder()
        .setPolicy(policy(NotificationKind.NOTIFICATION_KIND_SILENT, Urgency.URGENCY_HIGH, 600, "chat")).build());
    message(false);
    expected.add(new Seen(++count, "silent", "high", "chat"));
    ttls.put(count, 600L);
    receiver.awaitReceived(expected.size(), WAIT);

    // A group policy wins over the default; a group policy of NONE pushes nothing.
    groupPolicy(policy(NotificationKind.NOTIFICATION_KIND_ALERT, Urgency.URGENCY_LOW, 300, ""));
    message(false);
    expected.add(new Seen(++count, "alert", "low", ""));
    ttls.put(count, 300L);
    receiver.awaitReceived(expected.size(), WAIT);
    groupPolicy(policy(NotificationKind.NOTIFICATION_KIND_NONE, Urgency.URGENCY_NORMAL, 0, ""));
    message(false);
    ++count;

    // The sender's hint: no push, whatever the policy.
    groupPolicy(null);
    message(true);
    ++count;

    // While Bob listens nothing is pushed, unless the policy asks to.
    try (ListenProbe listening = ListenProbe.open(bob)) {
      while (listening.next().getItemCase() != ListenResponse.ItemCase.QUEUE_EMPTY) {
        // the backlog
      }
      message(false);
      ++count;
      groupPolicy(NotificationPolicy.newBuilder().setKind(NotificationKind.NOTIFICATION_KIND_ALERT)
          .setPushWhileListening(true).build());
      message(false);
      expected.add(new Seen(++count, "alert", "normal", ""));
      ttls.put(count, 86_400L);
      receiver.awaitReceived(expected.size(), WAIT);
    }
    groupPolicy(null);

    // Offline again: the default policy, as before.
    message(false);
    expected.add(new Seen(++count, "silent", "high", "chat"));
    ttls.put(count, 600L);

    List<WebPushReceiver.Received> pushes = receiver.awaitReceived(expected.size(), WAIT);
    assertEquals(expected, pushes.stream().map(NotificationsTest::seen)
        .sorted(java.util.Comparator.comparingLong(Seen::count)).toList());
    for (WebPushReceiver.Received push : pushes) {
      long ttl = ttls.get(seen(push).count());
      assertTrue(push.ttl() <= ttl && push.ttl() > ttl - 60, "TTL " + push.ttl() + " for a policy of " + ttl);
    }
    assertEquals(List.of(), receiver.rejections(), "every push carried a valid VAPID token and decrypted");
  }

  @Test
  void welcomesAndEventsFollowTheDefaultPolicyNotTheGroups() throws Exception {
    bob.notifier().setDefaultPolicy(SetDefaultPolicyRequest.newBuilder()
        .setPolicy(policy(NotificationKind.NOTIFICATION_KIND_SILENT, Urgency.URGENCY_NORMAL, 0, "")).build());
    groupPolicy(policy(NotificationKind.NOTIFICATION_KIND_NONE, Urgency.URGENCY_NORMAL, 0, ""));

    // A second group adding Bob: its Welcome. Then a profile change of Alice, a group peer: an event.
    alice.createGroupWith(bob, server.clock.instant());
    alice.directory().setDisplayName(org.homeserver.api.directory.v1.SetDisplayNameRequest.newBuilder()
        .setDisplayName("Alice " + UUID.randomUUID().toString().substring(0, 8)).build());

    List<Seen> got = receiver.awaitReceived(2, WAIT).stream().map(NotificationsTest::seen).toList();
    assertEquals(List.of("silent", "silent"), got.stream().map(Seen::kind).toList());
    assertEquals(List.of(), receiver.rejections());
  }

  @Test
  void aTooManyRequestsAnswerIsRetriedNoSoonerThanItsRetryAfter() throws Exception {
    receiver.answerNext(429, Map.of("Retry-After", "3"));
    message(false);

    var attempts = receiver.awaitAttempts(2, WAIT);
    assertEquals(429, attempts.get(0).status());
    assertEquals(201, attempts.get(1).status());
    Duration between = Duration.between(attempts.get(0).arrival(), attempts.get(1).arrival());
    assertTrue(between.compareTo(Duration.ofSeconds(3)) >= 0, "retried after " + between);
    assertEquals(1, receiver.received().size());
  }

  @Test
  void anEndpointAnswered410IsDeleted() throws Exception {
    receiver.answerNext(410);
    message(false);
    receiver.awaitAttempts(1, WAIT);
    Eventually.until("the endpoint is deleted", WAIT,
        () -> bob.notifier().listEndpoints(ListEndpointsRequest.getDefaultInstance()).getEndpointsCount() == 0);
    message(false);
    assertEquals(1, receiver.requestCount(), "nothing is pushed to a deleted endpoint");
  }

  @Test
  void invalidEndpointsAreRefusedWithTheRuleTheyBreak() {
    Map<String, String> urls = Map.of(
        "http://203.0.113.5/push", "ENDPOINT_RULE_HTTPS_REQUIRED",
        "https://10.1.2.3/push", "ENDPOINT_RULE_ADDRESS_NOT_ALLOWED",
        "https://192.168.0.7/push", "ENDPOINT_RULE_ADDRESS_NOT_ALLOWED",
        "https://[fd00::1]/push", "ENDPOINT_RULE_ADDRESS_NOT_ALLOWED",
        "https://no-such-host.invalid/push", "ENDPOINT_RULE_UNRESOLVABLE",
        "https://push.example.org/" + "x".repeat(1100), "ENDPOINT_RULE_TOO_LONG",
        "not a url", "ENDPOINT_RULE_URL_MALFORMED");
    urls.forEach((url, rule) -> {
      var e = assertFails(Code.INVALID_ARGUMENT, ErrorReason.ENDPOINT_INVALID, () -> bob.notifier()
          .registerEndpoint(RegisterEndpointRequest.newBuilder().setWebhook(Webhook.newBuilder().setUrl(url)).build()));
      assertEquals(rule, metadata(e).get("rule"), url);
    });
    var badKey = TestMember.webPush(receiver).toBuilder().setP256Dh(ByteString.copyFrom(new byte[65])).build();
    var e = assertFails(Code.INVALID_ARGUMENT, ErrorReason.ENDPOINT_INVALID, () -> bob.notifier()
        .registerEndpoint(RegisterEndpointRequest.newBuilder().setWebPush(badKey).build()));
    assertEquals("ENDPOINT_RULE_KEY_INVALID", metadata(e).get("rule"));
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.ENDPOINT_KIND_DISABLED, () -> bob.notifier()
        .registerEndpoint(RegisterEndpointRequest.newBuilder().setApns(
            org.homeserver.api.notifier.v1.ApnsDevice.newBuilder().setDeviceToken("ab".repeat(32))
                .setTopic("org.example.chat")).build()));
    assertEquals(1, bob.notifier().listEndpoints(ListEndpointsRequest.getDefaultInstance()).getEndpointsCount(),
        "nothing refused was stored");
    assertTrue(bob.notifier().getDefaultPolicy(GetDefaultPolicyRequest.getDefaultInstance()).getServerDefault());
  }
}
