package org.homeserver.notifier.testing;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.homeserver.notifier.push.EndpointAddress;

/** A Web Push service and the browser behind it, on loopback: checks VAPID, decrypts, records each push. */
public final class WebPushReceiver extends LoopbackReceiver<WebPushReceiver.Received> {
  /** One push the service took, as the browser reads it, with the subject and expiry of its VAPID token. */
  public record Received(String payload, long ttl, Optional<String> urgency, Optional<String> topic,
                         String vapidSubject, Instant vapidExpiry, Instant arrival) {}

  private final SubscriptionKeys keys;
  private volatile Optional<byte[]> expectedVapidKey;

  public WebPushReceiver() {
    this(Clock.systemUTC());
  }

  /** @param clock the service's time, against which VAPID tokens expire */
  public WebPushReceiver(Clock clock) {
    keys = SubscriptionKeys.generate(new SecureRandom());
    expectedVapidKey = Optional.empty();
    super("push", clock);
  }

  /** The subscription a browser would hand the homeserver. */
  public EndpointAddress.WebPush subscription() {
    return new EndpointAddress.WebPush(url(), keys.p256dh(), keys.auth());
  }

  /** Refuses pushes signed by any other VAPID key, as services do for subscriptions bound to one. */
  public void expectVapidKey(byte[] publicKey) {
    expectedVapidKey = Optional.of(publicKey.clone());
  }

  @Override
  protected Received accept(Request request) throws InvalidPush {
    VapidClaims vapid = VapidVerifier.verify(request.header("Authorization").orElse(null), origin(),
        request.arrival(), expectedVapidKey);
    if (!request.header("Content-Encoding").orElse("").equalsIgnoreCase("aes128gcm")) {
      throw new InvalidPush("Content-Encoding is not aes128gcm");
    }
    long ttl = ttl(request.header("TTL"));
    String payload = new String(keys.decrypt(request.body()), StandardCharsets.UTF_8);
    return new Received(payload, ttl, request.header("Urgency"), request.header("Topic"), vapid.subject(),
        vapid.expiry(), request.arrival());
  }

  /** RFC 8030 section 5.2: TTL is required, a non-negative number of seconds. */
  private static long ttl(Optional<String> header) throws InvalidPush {
    String value = header.orElseThrow(() -> new InvalidPush("no TTL header"));
    if (!value.matches("\\d{1,10}")) {
      throw new InvalidPush("TTL is not a number of seconds: " + value);
    }
    return Long.parseLong(value);
  }
}
