package org.homeserver.notifier.push;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Pushes to plain HTTPS webhooks (UnifiedPush style): the payload JSON as a POST, with the TTL,
 * Urgency and Topic headers of Web Push.
 */
public final class WebhookSender implements PushSender {
  private final HttpClient client;
  private final Clock clock;
  private final Duration timeout;

  public WebhookSender(HttpClient client, Clock clock, Duration timeout) {
    this.client = client;
    this.clock = clock;
    this.timeout = timeout;
  }

  @Override
  public PushResult send(EndpointAddress address, Push push) {
    if (!(address instanceof EndpointAddress.Webhook webhook)) {
      throw new IllegalArgumentException("a webhook sender cannot push to " + address);
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(webhook.url())
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .header("TTL", Long.toString(push.ttlSeconds()))
        .header("Urgency", push.urgencyHeader())
        .POST(HttpRequest.BodyPublishers.ofByteArray(push.payload()));
    if (!push.topic().isEmpty()) {
      request.header("Topic", push.topic());
    }
    try {
      HttpResponse<Void> response = client.send(request.build(), HttpResponse.BodyHandlers.discarding());
      return HttpOutcomes.of(response.statusCode(), response.headers().firstValue("Retry-After"), clock);
    } catch (IOException e) {
      return new PushResult.Retry(e.getClass().getSimpleName() + ": " + e.getMessage(), Optional.empty());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new PushResult.Retry("interrupted", Optional.empty());
    }
  }
}
