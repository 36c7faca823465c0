package org.homeserver.notifier.apns;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.homeserver.api.notifier.v1.NotificationKind;
import org.homeserver.notifier.push.EndpointAddress;
import org.homeserver.notifier.push.HttpOutcomes;
import org.homeserver.notifier.push.JsonBodies;
import org.homeserver.notifier.push.Push;
import org.homeserver.notifier.push.PushResult;
import org.homeserver.notifier.push.PushSender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

/** Pushes to Apple devices through the APNs provider API, authenticated with provider tokens. */
public final class ApnsSender implements PushSender {
  public static final URI PRODUCTION = URI.create("https://api.push.apple.com");
  public static final URI SANDBOX = URI.create("https://api.sandbox.push.apple.com");

  private static final Logger LOG = LoggerFactory.getLogger(ApnsSender.class);
  // APNs' 400 reasons that mean the token will never work again, as 410 Unregistered does.
  private static final Set<String> GONE_REASONS = Set.of("BadDeviceToken", "DeviceTokenNotForTopic");
  // The notification service extension fills in the alert text from this key and the queue.
  private static final String ALERT_LOC_KEY = "HOMESERVER_ALERT";

  private final HttpClient client;
  private final ProviderToken providerToken;
  private final URI production;
  private final URI sandbox;
  private final Clock clock;
  private final Duration timeout;

  /**
   * @param client     never following redirects; HTTP/2 as APNs wants
   * @param production the base URI of production devices, normally {@link #PRODUCTION}
   * @param sandbox    the base URI of sandbox devices, normally {@link #SANDBOX}
   * @param timeout    the bound on each request
   */
  public ApnsSender(HttpClient client, ApnsCredentials credentials, URI production, URI sandbox, Clock clock,
                    Duration timeout) {
    if (client.followRedirects() != HttpClient.Redirect.NEVER) {
      throw new IllegalArgumentException("a push sender's HTTP client must never follow redirects");
    }
    this.client = client;
    this.providerToken = new ProviderToken(credentials, clock);
    this.production = production;
    this.sandbox = sandbox;
    this.clock = clock;
    this.timeout = timeout;
  }

  @Override
  public PushResult send(EndpointAddress address, Push push) {
    if (!(address instanceof EndpointAddress.Apns device)) {
      throw new IllegalArgumentException("not an APNs address: " + address.getClass().getSimpleName());
    }
    if (!ApnsDeviceToken.isWellFormed(device.deviceToken())) {
      // Registration refuses these; one that slipped through can never work, as APNs would say.
      return new PushResult.Gone("BadDeviceToken");
    }
    String token = providerToken.current();
    try {
      HttpResponse<String> response = client.send(request(device, push, token), HttpResponse.BodyHandlers.ofString());
      return outcome(response, token);
    } catch (HttpTimeoutException e) {
      return new PushResult.Retry("timeout", Optional.empty());
    } catch (IOException e) {
      LOG.debug("APNs request failed", e);
      return new PushResult.Retry("unreachable", Optional.empty());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new PushResult.Retry("interrupted", Optional.empty());
    }
  }

  /** The APNs body of {@code push} (notifier.proto PAYLOAD, APNs). */
  static String body(Push push) {
    ObjectNode body = JsonBodies.object();
    ObjectNode aps = body.putObject("aps");
    if (push.kind() == NotificationKind.NOTIFICATION_KIND_ALERT) {
      aps.putObject("alert").put("loc-key", ALERT_LOC_KEY);
      aps.put("mutable-content", 1);
    } else {
      aps.put("content-available", 1);
    }
    body.put("id", push.notificationId()).put("count", push.count()).put("kind", push.kindName());
    return JsonBodies.write(body);
  }

  private HttpRequest request(EndpointAddress.Apns device, Push push, String token) {
    boolean alert = push.kind() == NotificationKind.NOTIFICATION_KIND_ALERT;
    String base = (device.sandbox() ? sandbox : production).toString().replaceFirst("/+$", "");
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/3/device/" + device.deviceToken()))
        .timeout(timeout)
        .header("authorization", "bearer " + token)
        .header("apns-topic", device.topic())
        .header("apns-push-type", alert ? "alert" : "background")
        // Apple requires priority 5 for background pushes; 10 delivers at once.
        .header("apns-priority", alert ? "10" : "5")
        .header("apns-expiration", Long.toString(clock.instant().getEpochSecond() + push.ttlSeconds()))
        .header("apns-id", push.notificationId())
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body(push)));
    if (!push.topic().isEmpty()) {
      request.header("apns-collapse-id", push.topic());
    }
    return request.build();
  }

  private PushResult outcome(HttpResponse<String> response, String token) {
    int status = response.statusCode();
    String reason = JsonBodies.read(response.body()).path("reason").stringValueOpt().orElse("");
    String described = reason.isEmpty() ? "HTTP " + status : "HTTP " + status + " " + reason;
    if (status >= 200 && status < 300) {
      return new PushResult.Delivered();
    }
    if (status == 410 || (status == 400 && GONE_REASONS.contains(reason))) {
      return new PushResult.Gone(described);
    }
    if (status == 403 && reason.equals("ExpiredProviderToken")) {
      providerToken.rejected(token);
      return new PushResult.Retry(described, Optional.empty());
    }
    if (status == 429 || status >= 500) {
      Optional<String> retryAfter = response.headers().firstValue("retry-after");
      return new PushResult.Retry(described,
          retryAfter.flatMap(value -> HttpOutcomes.retryAfter(value, clock.instant())));
    }
    // Among these 404 BadPath, which says nothing about the device, unlike other services' 404.
    return new PushResult.Failed(described);
  }
}
