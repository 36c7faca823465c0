package org.homeserver.notifier.apns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.http.HttpClient;
import java.security.KeyPair;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.homeserver.api.notifier.v1.NotificationKind;
import org.homeserver.api.notifier.v1.Urgency;
import org.homeserver.notifier.push.EndpointAddress;
import org.homeserver.notifier.push.JsonBodies;
import org.homeserver.notifier.push.Push;
import org.homeserver.notifier.push.PushResult;
import org.homeserver.notifier.testing.ApnsFake;
import org.homeserver.platform.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ApnsSenderTest {
  private static final String DEVICE = "ab".repeat(32);
  private static final String BUNDLE = "org.example.chat";
  private static final String ID = "0f8fad5b-d9cb-469f-a165-70867728950e";
  private static final EndpointAddress.Apns PRODUCTION_DEVICE = new EndpointAddress.Apns(DEVICE, BUNDLE, false);

  private final MutableClock clock = new MutableClock();
  private final KeyPair teamKey = ApnsFake.newTeamKey();
  private final ApnsFake apns = ApnsFake.start(teamKey, clock);
  private final HttpClient client = apns.clientBuilder().build();
  private final ApnsSender sender = new ApnsSender(client,
      ApnsCredentials.fromPem(ApnsFake.TEAM_ID, ApnsFake.KEY_ID, apns.keyPem()),
      apns.uri(), apns.uri(), clock, Duration.ofSeconds(10));

  @AfterEach
  void close() {
    client.close();
    apns.close();
  }

  @Test
  void alertPushCarriesTheAlertBodyAndHeaders() {
    long before = clock.instant().getEpochSecond();
    PushResult result = sender.send(PRODUCTION_DEVICE, alert("room-7"));
    long after = clock.instant().getEpochSecond();

    assertEquals(new PushResult.Delivered(), result);
    ApnsFake.Received push = apns.received().getFirst();
    assertEquals(DEVICE, push.deviceToken());
    assertEquals(JsonBodies.parse("""
        {"aps":{"alert":{"loc-key":"HOMESERVER_ALERT"},"mutable-content":1},
         "id":"0f8fad5b-d9cb-469f-a165-70867728950e","count":3,"kind":"alert"}"""), push.json());
    assertEquals(BUNDLE, push.headers().get("apns-topic"));
    assertEquals("alert", push.headers().get("apns-push-type"));
    assertEquals("10", push.headers().get("apns-priority"));
    assertEquals("room-7", push.headers().get("apns-collapse-id"));
    assertEquals(ID, push.headers().get("apns-id"));
    long expiration = Long.parseLong(push.headers().get("apns-expiration"));
    assertTrue(expiration >= before + 600 && expiration <= after + 600, "expiration " + expiration);
  }

  @Test
  void silentPushIsABackgroundPushWithoutCollapseId() {
    PushResult result = sender.send(PRODUCTION_DEVICE, silent(""));

    assertEquals(new PushResult.Delivered(), result);
    ApnsFake.Received push = apns.received().getFirst();
    assertEquals(JsonBodies.parse("""
        {"aps":{"content-available":1},"id":"0f8fad5b-d9cb-469f-a165-70867728950e","count":3,"kind":"silent"}"""),
        push.json());
    assertEquals("background", push.headers().get("apns-push-type"));
    assertEquals("5", push.headers().get("apns-priority"));
    assertFalse(push.headers().containsKey("apns-collapse-id"));
  }

  @Test
  void sandboxDevicesArePushedThroughTheSandbox() {
    try (ApnsFake production = ApnsFake.start(teamKey, clock);
         ApnsFake sandbox = ApnsFake.start(teamKey, clock);
         HttpClient trusting = HttpClient.newBuilder().sslContext(sandbox.clientTls())
             .followRedirects(HttpClient.Redirect.NEVER).build()) {
      ApnsSender split = new ApnsSender(trusting, sandbox.credentials(), production.uri(), sandbox.uri(), clock,
          Duration.ofSeconds(10));

      PushResult result = split.send(new EndpointAddress.Apns(DEVICE, BUNDLE, true), alert(""));

      assertEquals(new PushResult.Delivered(), result);
      assertEquals(1, sandbox.received().size());
      assertEquals(List.of(), production.received());
    }
  }

  @Test
  void providerTokenIsAnEs256JwtNamingTheKeyTheTeamAndWhenItWasIssued() throws ParseException {
    long before = clock.instant().getEpochSecond();
    sender.send(PRODUCTION_DEVICE, alert(""));
    long after = clock.instant().getEpochSecond();

    SignedJWT token = SignedJWT.parse(apns.received().getFirst().providerToken());
    JWTClaimsSet claims = token.getJWTClaimsSet();
    assertEquals(JWSAlgorithm.ES256, token.getHeader().getAlgorithm());
    assertEquals(ApnsFake.KEY_ID, token.getHeader().getKeyID());
    assertEquals(Set.of("iss", "iat"), claims.getClaims().keySet());
    assertEquals(ApnsFake.TEAM_ID, claims.getIssuer());
    long iat = claims.getIssueTime().getTime() / 1000;
    assertTrue(iat >= before && iat <= after, "iat " + iat);
    assertEquals(64, token.getSignature().decode().length, "ES256 as JOSE wants it: r and s, not DER");
  }

  @Test
  void providerTokenIsReusedAcrossPushes() {
    sender.send(PRODUCTION_DEVICE, alert(""));
    clock.advance(Duration.ofMinutes(49));
    sender.send(PRODUCTION_DEVICE, alert(""));

    List<ApnsFake.Received> pushes = apns.received();
    assertEquals(2, pushes.size());
    assertEquals(pushes.get(0).providerToken(), pushes.get(1).providerToken());
  }

  @Test
  void providerTokenIsRenewedOnceFiftyMinutesOld() {
    sender.send(PRODUCTION_DEVICE, alert(""));
    clock.advance(Duration.ofMinutes(51));
    PushResult result = sender.send(PRODUCTION_DEVICE, alert(""));

    assertEquals(new PushResult.Delivered(), result);
    List<ApnsFake.Received> pushes = apns.received();
    assertNotEquals(pushes.get(0).providerToken(), pushes.get(1).providerToken());
  }

  @Test
  void expiredProviderTokenIsRetriedAndRenewedAtOnce() {
    sender.send(PRODUCTION_DEVICE, alert(""));
    apns.answerNext(ApnsFake.reason(403, "ExpiredProviderToken"));

    PushResult refused = sender.send(PRODUCTION_DEVICE, alert(""));
    PushResult again = sender.send(PRODUCTION_DEVICE, alert(""));

    assertEquals(new PushResult.Retry("HTTP 403 ExpiredProviderToken", Optional.empty()), refused);
    assertEquals(new PushResult.Delivered(), again);
    List<ApnsFake.Received> pushes = apns.received();
    assertNotEquals(pushes.get(0).providerToken(), pushes.get(1).providerToken());
  }

  @Test
  void unregisteredDeviceIsGone() {
    apns.answerNext(ApnsFake.reason(410, "Unregistered"));

    assertEquals(new PushResult.Gone("HTTP 410 Unregistered"), sender.send(PRODUCTION_DEVICE, alert("")));
  }

  @Test
  void badDeviceTokenAndTokenOfAnotherTopicAreGone() {
    apns.answerNext(ApnsFake.reason(400, "BadDeviceToken"));
    apns.answerNext(ApnsFake.reason(400, "DeviceTokenNotForTopic"));

    assertEquals(new PushResult.Gone("HTTP 400 BadDeviceToken"), sender.send(PRODUCTION_DEVICE, alert("")));
    assertEquals(new PushResult.Gone("HTTP 400 DeviceTokenNotForTopic"), sender.send(PRODUCTION_DEVICE, alert("")));
  }

  @Test
  void tooManyRequestsIsRetriedAfterRetryAfter() {
    apns.answerNext(ApnsFake.reason(429, "TooManyRequests").withHeader("Retry-After", "3"));

    assertEquals(new PushResult.Retry("HTTP 429 TooManyRequests", Optional.of(Duration.ofSeconds(3))),
        sender.send(PRODUCTION_DEVICE, alert("")));
  }

  @Test
  void serverErrorsAreRetried() {
    apns.answerNext(ApnsFake.reason(500, "InternalServerError"));
    apns.answerNext(ApnsFake.reason(503, "ServiceUnavailable"));

    assertEquals(new PushResult.Retry("HTTP 500 InternalServerError", Optional.empty()),
        sender.send(PRODUCTION_DEVICE, alert("")));
    assertEquals(new PushResult.Retry("HTTP 503 ServiceUnavailable", Optional.empty()),
        sender.send(PRODUCTION_DEVICE, alert("")));
  }

  @Test
  void otherBadRequestFailsWithTheApnsReason() {
    apns.answerNext(ApnsFake.reason(400, "TopicDisallowed"));

    assertEquals(new PushResult.Failed("HTTP 400 TopicDisallowed"), sender.send(PRODUCTION_DEVICE, alert("")));
  }

  @Test
  void badPathFailsWithoutGivingUpTheDevice() {
    apns.answerNext(ApnsFake.reason(404, "BadPath"));

    assertEquals(new PushResult.Failed("HTTP 404 BadPath"), sender.send(PRODUCTION_DEVICE, alert("")));
  }

  @Test
  void refusedConnectionIsRetried() {
    apns.close();

    assertEquals(new PushResult.Retry("unreachable", Optional.empty()), sender.send(PRODUCTION_DEVICE, alert("")));
  }

  @Test
  void malformedDeviceTokenIsGoneWithoutAsking() {
    PushResult result = sender.send(new EndpointAddress.Apns("not-hex", BUNDLE, false), alert(""));

    assertEquals(new PushResult.Gone("BadDeviceToken"), result);
    assertEquals(List.of(), apns.received());
  }

  @Test
  void addressOfAnotherKindIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> sender.send(new EndpointAddress.Fcm("token"), alert("")));
  }

  @Test
  void clientFollowingRedirectsIsRefused() {
    try (HttpClient following = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build()) {
      assertThrows(IllegalArgumentException.class, () -> new ApnsSender(following, apns.credentials(),
          apns.uri(), apns.uri(), clock, Duration.ofSeconds(1)));
    }
  }

  private static Push alert(String topic) {
    return new Push(ID, 3, NotificationKind.NOTIFICATION_KIND_ALERT, 600, Urgency.URGENCY_HIGH, topic);
  }

  private static Push silent(String topic) {
    return new Push(ID, 3, NotificationKind.NOTIFICATION_KIND_SILENT, 600, Urgency.URGENCY_NORMAL, topic);
  }
}
