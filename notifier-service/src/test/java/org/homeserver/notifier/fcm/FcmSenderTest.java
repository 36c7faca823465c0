package org.homeserver.notifier.fcm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.homeserver.api.notifier.v1.NotificationKind;
import org.homeserver.api.notifier.v1.Urgency;
import org.homeserver.notifier.push.EndpointAddress;
import org.homeserver.notifier.push.JsonBodies;
import org.homeserver.notifier.push.Push;
import org.homeserver.notifier.push.PushResult;
import org.homeserver.notifier.testing.FcmFake;
import org.homeserver.notifier.testing.HttpsFake.Answer;
import org.homeserver.platform.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FcmSenderTest {
  private static final String ID = "0f8fad5b-d9cb-469f-a165-70867728950e";
  private static final EndpointAddress.Fcm DEVICE = new EndpointAddress.Fcm("dGVzdA:APA91b-device_token");

  private final MutableClock clock = new MutableClock();
  private final FcmFake fcm = FcmFake.start(clock);
  private final HttpClient client = fcm.clientBuilder().build();
  private final FcmSender sender = new FcmSender(client, FcmCredentials.parse(fcm.serviceAccountJson()),
      fcm.uri(), clock, Duration.ofSeconds(10));

  @AfterEach
  void close() {
    client.close();
    fcm.close();
  }

  @Test
  void alertPushIsAHighPriorityDataMessage() {
    PushResult result = sender.send(DEVICE, alert("room-7"));

    assertEquals(new PushResult.Delivered(), result);
    FcmFake.Received message = fcm.received().getFirst();
    assertEquals(DEVICE.registrationToken(), message.registrationToken());
    assertEquals(JsonBodies.parse("""
        {"message":{"token":"dGVzdA:APA91b-device_token",
          "data":{"id":"0f8fad5b-d9cb-469f-a165-70867728950e","count":"3","kind":"alert"},
          "android":{"priority":"HIGH","ttl":"600s","collapse_key":"room-7"}}}"""), message.json());
  }

  @Test
  void silentPushIsANormalPriorityDataMessageWithoutCollapseKey() {
    PushResult result = sender.send(DEVICE, silent(""));

    assertEquals(new PushResult.Delivered(), result);
    assertEquals(JsonBodies.parse("""
        {"message":{"token":"dGVzdA:APA91b-device_token",
          "data":{"id":"0f8fad5b-d9cb-469f-a165-70867728950e","count":"3","kind":"silent"},
          "android":{"priority":"NORMAL","ttl":"600s"}}}"""), fcm.received().getFirst().json());
  }

  @Test
  void accessTokenIsReusedAcrossPushes() {
    sender.send(DEVICE, alert(""));
    clock.advance(Duration.ofMinutes(50));
    sender.send(DEVICE, alert(""));

    List<FcmFake.Received> messages = fcm.received();
    assertEquals(2, messages.size());
    assertEquals(1, fcm.issuedAccessTokens().size());
    assertEquals(messages.get(0).accessToken(), messages.get(1).accessToken());
  }

  @Test
  void accessTokenIsRenewedAMinuteBeforeItExpires() {
    sender.send(DEVICE, alert(""));
    // 3,570 s after it was issued: still good at FCM for 30 s, but inside the last minute.
    clock.advance(Duration.ofSeconds(FcmFake.ACCESS_TOKEN_SECONDS - 30));
    PushResult result = sender.send(DEVICE, alert(""));

    assertEquals(new PushResult.Delivered(), result);
    List<FcmFake.Received> messages = fcm.received();
    assertEquals(2, fcm.issuedAccessTokens().size());
    assertNotEquals(messages.get(0).accessToken(), messages.get(1).accessToken());
  }

  @Test
  void refusedAccessTokenIsRetriedAndRenewed() {
    sender.send(DEVICE, alert(""));
    fcm.revokeAccessTokens();

    PushResult refused = sender.send(DEVICE, alert(""));
    PushResult again = sender.send(DEVICE, alert(""));

    assertEquals(new PushResult.Retry("HTTP 401 UNAUTHENTICATED", Optional.empty()), refused);
    assertEquals(new PushResult.Delivered(), again);
    List<FcmFake.Received> messages = fcm.received();
    assertNotEquals(messages.get(0).accessToken(), messages.get(1).accessToken());
  }

  @Test
  void unregisteredDeviceIsGone() {
    fcm.answerNext(FcmFake.error(404, "NOT_FOUND", "UNREGISTERED"));

    assertEquals(new PushResult.Gone("HTTP 404 UNREGISTERED"), sender.send(DEVICE, alert("")));
  }

  @Test
  void unregisteredErrorIsGoneWhateverTheStatus() {
    fcm.answerNext(FcmFake.error(400, "INVALID_ARGUMENT", "UNREGISTERED"));

    assertEquals(new PushResult.Gone("HTTP 400 UNREGISTERED"), sender.send(DEVICE, alert("")));
  }

  @Test
  void notFoundWithoutBodyIsGone() {
    fcm.answerNext(Answer.of(404, ""));

    assertEquals(new PushResult.Gone("HTTP 404"), sender.send(DEVICE, alert("")));
  }

  @Test
  void invalidArgumentFails() {
    fcm.answerNext(FcmFake.error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"));

    assertEquals(new PushResult.Failed("HTTP 400 INVALID_ARGUMENT"), sender.send(DEVICE, alert("")));
  }

  @Test
  void quotaExceededIsRetriedAfterRetryAfter() {
    fcm.answerNext(FcmFake.error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED").withHeader("Retry-After", "3"));

    assertEquals(new PushResult.Retry("HTTP 429 QUOTA_EXCEEDED", Optional.of(Duration.ofSeconds(3))),
        sender.send(DEVICE, alert("")));
  }

  @Test
  void serverErrorsAreRetried() {
    fcm.answerNext(FcmFake.error(503, "UNAVAILABLE", "UNAVAILABLE"));
    fcm.answerNext(FcmFake.error(500, "INTERNAL", "INTERNAL"));

    assertEquals(new PushResult.Retry("HTTP 503 UNAVAILABLE", Optional.empty()), sender.send(DEVICE, alert("")));
    assertEquals(new PushResult.Retry("HTTP 500 INTERNAL", Optional.empty()), sender.send(DEVICE, alert("")));
  }

  @Test
  void tokenEndpointOutageIsRetriedWithoutReachingFcm() {
    fcm.answerNextTokenRequest(Answer.of(503, "").withHeader("Retry-After", "3"));

    PushResult result = sender.send(DEVICE, alert(""));

    assertEquals(new PushResult.Retry("token endpoint HTTP 503", Optional.of(Duration.ofSeconds(3))), result);
    assertEquals(List.of(), fcm.received());
    assertEquals(new PushResult.Delivered(), sender.send(DEVICE, alert("")));
  }

  @Test
  void tokenEndpointNotFoundFailsWithoutGivingUpTheDevice() {
    fcm.answerNextTokenRequest(Answer.of(404, ""));

    assertEquals(new PushResult.Failed("token endpoint HTTP 404"), sender.send(DEVICE, alert("")));
  }

  @Test
  void refusedConnectionIsRetried() {
    fcm.close();

    assertEquals(new PushResult.Retry("token endpoint unreachable", Optional.empty()), sender.send(DEVICE, alert("")));
  }

  @Test
  void refusedConnectionWithATokenInHandIsRetried() {
    sender.send(DEVICE, alert(""));
    fcm.close();

    assertEquals(new PushResult.Retry("unreachable", Optional.empty()), sender.send(DEVICE, alert("")));
  }

  @Test
  void addressOfAnotherKindIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> sender.send(new EndpointAddress.Apns("ab".repeat(32), "org.example", false), alert("")));
  }

  @Test
  void clientFollowingRedirectsIsRefused() {
    try (HttpClient following = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build()) {
      assertThrows(IllegalArgumentException.class, () -> new FcmSender(following,
          FcmCredentials.parse(fcm.serviceAccountJson()), fcm.uri(), clock, Duration.ofSeconds(1)));
    }
  }

  private static Push alert(String topic) {
    return new Push(ID, 3, NotificationKind.NOTIFICATION_KIND_ALERT, 600, Urgency.URGENCY_HIGH, topic);
  }

  private static Push silent(String topic) {
    return new Push(ID, 3, NotificationKind.NOTIFICATION_KIND_SILENT, 600, Urgency.URGENCY_NORMAL, topic);
  }
}
