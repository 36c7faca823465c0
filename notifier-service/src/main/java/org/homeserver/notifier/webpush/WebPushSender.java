package org.homeserver.notifier.webpush;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.homeserver.notifier.push.EndpointAddress;
import org.homeserver.notifier.push.HttpOutcomes;
import org.homeserver.notifier.push.Push;
import org.homeserver.notifier.push.PushResult;
import org.homeserver.notifier.push.PushSender;

/** Sends pushes to Web Push subscriptions (RFC 8030), encrypted (RFC 8291) and signed with VAPID (RFC 8292). */
public final class WebPushSender implements PushSender {
  private final HttpClient client;
  private final VapidKey key;
  private final String subject;
  private final Clock clock;
  private final Duration requestTimeout;
  private final SecureRandom random;
  /** The Authorization header per push service origin, made afresh once it is {@link #VAPID_REUSE} old. */
  private final Cache<String, String> vapidHeaders;

  /** Tokens live 12 hours; one is signed per origin and hour rather than per push. */
  static final Duration VAPID_REUSE = Duration.ofHours(1);
  /**
   * Push service origins whose header is kept at most: browsers use a handful, but anyone may
   * register a subscription of any origin.
   */
  static final int MAX_ORIGINS = 10_000;

  /**
   * @param client         built by the caller, with redirects NEVER: a redirect is a failure, never followed
   * @param subject        the VAPID subject, a mailto: or https: URI
   * @param requestTimeout how long one push may take, from sending to the answer's status
   */
  public WebPushSender(HttpClient client, VapidKey key, String subject, Clock clock, Duration requestTimeout,
                       SecureRandom random) {
    this.client = Objects.requireNonNull(client, "client");
    this.key = Objects.requireNonNull(key, "key");
    this.subject = VapidKey.requireSubject(subject);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("the request timeout must be positive");
    }
    this.requestTimeout = requestTimeout;
    this.vapidHeaders = Caffeine.newBuilder()
        .maximumSize(MAX_ORIGINS)
        .expireAfterWrite(VAPID_REUSE)
        .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
        // Upkeep on the calling thread: no pool of its own, and tests stay deterministic.
        .executor(Runnable::run)
        .build();
  }

  @Override
  public PushResult send(EndpointAddress address, Push push) {
    EndpointAddress.WebPush subscription = switch (address) {
      case EndpointAddress.WebPush webPush -> webPush;
      default -> throw new IllegalArgumentException("not a Web Push subscription: " + address.getClass().getSimpleName());
    };
    HttpRequest request;
    try {
      request = request(subscription, push);
    } catch (IllegalArgumentException unusable) {
      // Keys or URL that can never work: trying again would only fail the same way.
      return new PushResult.Failed("unusable subscription: " + unusable.getMessage());
    }
    try {
      HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
      return HttpOutcomes.of(response.statusCode(), response.headers().firstValue("Retry-After"), clock);
    } catch (IOException e) {
      return new PushResult.Retry(describe(e), Optional.empty());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new PushResult.Retry("interrupted", Optional.empty());
    }
  }

  private HttpRequest request(EndpointAddress.WebPush subscription, Push push) {
    byte[] body = WebPushEncryption.encrypt(push.payload(), subscription.p256dh(), subscription.auth(), random);
    HttpRequest.Builder request = HttpRequest.newBuilder(subscription.url())
        .timeout(requestTimeout)
        .header("Authorization", authorization(subscription.url()))
        // A job that waited past its TTL is still worth a try; the push service takes 0 as "now or never".
        .header("TTL", Long.toString(Math.max(0, push.ttlSeconds())))
        .header("Urgency", push.urgencyHeader())
        .header("Content-Encoding", "aes128gcm")
        .header("Content-Type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (!push.topic().isEmpty()) {
      request.header("Topic", push.topic());
    }
    return request.build();
  }

  private String authorization(URI url) {
    return vapidHeaders.get(VapidKey.origin(url), origin -> key.authorization(url, subject, clock.instant()));
  }

  /** What went wrong, without the URL: subscription URLs are secrets and reasons get stored. */
  private static String describe(IOException e) {
    String kind = e.getClass().getSimpleName();
    return e.getMessage() == null || e.getMessage().isBlank() ? kind : kind + ": " + e.getMessage();
  }
}
