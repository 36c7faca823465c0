package org.homeserver.notifier.webpush;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.homeserver.api.notifier.v1.NotificationKind;
import org.homeserver.api.notifier.v1.Urgency;
import org.homeserver.notifier.push.EndpointAddress;
import org.homeserver.notifier.push.Push;
import org.homeserver.notifier.push.PushResult;
import org.homeserver.notifier.testing.WebPushReceiver;
import org.homeserver.platform.testing.MutableClock;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

class WebPushSenderTest {
  @AutoClose
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .followRedirects(HttpClient.Redirect.NEVER)
      .connectTimeout(Duration.ofSeconds(5))
      .build();
  private static final String SUBJECT = "mailto:ops@example.org";

  private final SecureRandom random = new SecureRandom();
  private final VapidKey vapidKey = VapidKey.generate(random);
  private final WebPushSender sender = sender(vapidKey, Duration.ofSeconds(10));
  @AutoClose
  private final WebPushReceiver receiver = new WebPushReceiver();

  @Test
  void receiverGetsThePayloadWithTtlUrgencyAndTopic() {
    Push push = push(Urgency.URGENCY_HIGH, "queue-7");

    PushResult result = sender.send(receiver.subscription(), push);

    assertEquals(new PushResult.Delivered(), result);
    assertEquals(List.of(), receiver.rejections());
    assertEquals(1, receiver.received().size());
    WebPushReceiver.Received received = receiver.received().getFirst();
    assertEquals(new String(push.payload(), StandardCharsets.UTF_8), received.payload());
    assertEquals(600, received.ttl());
    assertEquals(Optional.of("high"), received.urgency());
    assertEquals(Optional.of("queue-7"), received.topic());
    assertEquals(SUBJECT, received.vapidSubject());
  }

  @Test
  void vapidTokenIsSignedOncePerOriginAndHour() {
    MutableClock clock = new MutableClock();
    try (WebPushReceiver service = new WebPushReceiver(clock)) {
      WebPushSender reusing = new WebPushSender(CLIENT, vapidKey, SUBJECT, clock, Duration.ofSeconds(10), random);
      reusing.send(service.subscription(), push(Urgency.URGENCY_NORMAL, ""));
      clock.advance(Duration.ofMinutes(59));
      reusing.send(service.subscription(), push(Urgency.URGENCY_NORMAL, ""));
      clock.advance(Duration.ofMinutes(1));
      reusing.send(service.subscription(), push(Urgency.URGENCY_NORMAL, ""));

      List<Instant> expiries = service.received().stream().map(WebPushReceiver.Received::vapidExpiry).toList();
      assertEquals(List.of(), service.rejections());
      assertEquals(3, expiries.size());
      assertEquals(expiries.get(0), expiries.get(1), "the token signed 59 minutes before");
      assertFalse(expiries.get(2).isBefore(expiries.get(0).plus(Duration.ofHours(1))), "a token signed an hour later");
    }
  }

  @Test
  void pushWithoutTopicSendsNoTopicHeader() {
    sender.send(receiver.subscription(), push(Urgency.URGENCY_VERY_LOW, ""));

    WebPushReceiver.Received received = receiver.received().getFirst();
    assertEquals(Optional.empty(), received.topic());
    assertEquals(Optional.of("very-low"), received.urgency());
  }

  @Test
  void goneSubscriptionIsReportedGone() {
    receiver.answerNext(410);

    assertEquals(new PushResult.Gone("HTTP 410"), sender.send(receiver.subscription(), push(Urgency.URGENCY_NORMAL, "")));
    assertEquals(List.of(), receiver.received());
  }

  @Test
  void tooManyRequestsIsRetriedAfterTheServicesDelay() {
    receiver.answerNext(429, Map.of("Retry-After", "7"));

    PushResult result = sender.send(receiver.subscription(), push(Urgency.URGENCY_NORMAL, ""));

    assertEquals(new PushResult.Retry("HTTP 429", Optional.of(Duration.ofSeconds(7))), result);
  }

  @Test
  void unavailableServiceIsRetriedThenDelivered() {
    receiver.answerWith(request -> request == 1 ? new WebPushReceiver.Answer(503, Map.of()) : WebPushReceiver.Answer.of(201));
    Push push = push(Urgency.URGENCY_NORMAL, "");

    PushResult first = sender.send(receiver.subscription(), push);
    PushResult second = sender.send(receiver.subscription(), push);

    assertEquals(new PushResult.Retry("HTTP 503", Optional.empty()), first);
    assertEquals(new PushResult.Delivered(), second);
    assertEquals(2, receiver.requestCount());
    assertEquals(1, receiver.received().size());
  }

  @Test
  void redirectIsAFailureAndNotFollowed() {
    receiver.answerNext(307, Map.of("Location", receiver.url().toString()));

    PushResult result = sender.send(receiver.subscription(), push(Urgency.URGENCY_NORMAL, ""));

    assertEquals(new PushResult.Failed("HTTP 307"), result);
    assertEquals(1, receiver.requestCount());
  }

  @Test
  void pushSignedWithAnotherVapidKeyIsRefusedByTheService() {
    receiver.expectVapidKey(VapidKey.generate(random).publicKey());

    PushResult result = sender.send(receiver.subscription(), push(Urgency.URGENCY_NORMAL, ""));

    assertEquals(new PushResult.Failed("HTTP 400"), result);
    assertEquals(List.of("k is not the expected VAPID key"), receiver.rejections());
  }

  @Test
  void pushSignedWithTheExpectedVapidKeyIsTaken() {
    receiver.expectVapidKey(vapidKey.publicKey());

    assertEquals(new PushResult.Delivered(), sender.send(receiver.subscription(), push(Urgency.URGENCY_NORMAL, "")));
  }

  @Test
  void closedPortIsRetriedWithoutADelay() throws IOException {
    URI dead = URI.create("http://127.0.0.1:" + closedPort() + "/push/" + UUID.randomUUID());
    EndpointAddress.WebPush subscription = receiver.subscription();

    PushResult result = sender.send(new EndpointAddress.WebPush(dead, subscription.p256dh(), subscription.auth()),
        push(Urgency.URGENCY_NORMAL, ""));

    PushResult.Retry retry = assertInstanceOf(PushResult.Retry.class, result);
    assertEquals(Optional.empty(), retry.retryAfter());
    assertTrue(retry.reason().contains("ConnectException"), retry.reason());
  }

  @Test
  void serviceThatNeverAnswersIsRetriedAfterTheRequestTimeout() throws IOException {
    // The kernel completes the connection; nobody ever reads the request or answers it.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      URI url = URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/push/" + UUID.randomUUID());
      EndpointAddress.WebPush subscription = receiver.subscription();
      WebPushSender impatient = sender(vapidKey, Duration.ofMillis(300));

      PushResult result = impatient.send(new EndpointAddress.WebPush(url, subscription.p256dh(), subscription.auth()),
          push(Urgency.URGENCY_NORMAL, ""));

      PushResult.Retry retry = assertInstanceOf(PushResult.Retry.class, result);
      assertTrue(retry.reason().contains("HttpTimeoutException"), retry.reason());
    }
  }

  @Test
  void subscriptionWithUnusableKeysFailsWithoutSending() {
    EndpointAddress.WebPush subscription = receiver.subscription();
    var badAuth = new EndpointAddress.WebPush(subscription.url(), subscription.p256dh(), new byte[8]);

    PushResult result = sender.send(badAuth, push(Urgency.URGENCY_NORMAL, ""));

    PushResult.Failed failed = assertInstanceOf(PushResult.Failed.class, result);
    assertTrue(failed.reason().contains("auth secret"), failed.reason());
    assertEquals(0, receiver.requestCount());
  }

  @Test
  void addressOfAnotherKindIsRejected() {
    var webhook = new EndpointAddress.Webhook(receiver.url());

    assertThrows(IllegalArgumentException.class, () -> sender.send(webhook, push(Urgency.URGENCY_NORMAL, "")));
  }

  @Test
  void subjectThatIsNotAMailtoOrHttpsUriIsRejectedAtConstruction() {
    assertThrows(IllegalArgumentException.class, () -> new WebPushSender(CLIENT, vapidKey, "ops@example.org",
        Clock.systemUTC(), Duration.ofSeconds(1), random));
  }

  private WebPushSender sender(VapidKey key, Duration timeout) {
    return new WebPushSender(CLIENT, key, SUBJECT, Clock.systemUTC(), timeout, random);
  }

  private static Push push(Urgency urgency, String topic) {
    return new Push(UUID.randomUUID().toString(), 3, NotificationKind.NOTIFICATION_KIND_ALERT, 600, urgency, topic);
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
