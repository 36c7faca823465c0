package org.homeserver.notifier.testing;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.homeserver.notifier.push.EndpointAddress;

/** A webhook endpoint on loopback: takes JSON POSTs and records their bodies and headers. */
public final class WebhookReceiver extends LoopbackReceiver<WebhookReceiver.Received> {
  /** One push the endpoint took; header names match in any case. */
  public record Received(String body, SortedMap<String, String> headers, Instant arrival) {
    public Optional<String> header(String name) {
      return Optional.ofNullable(headers.get(name));
    }
  }

  public WebhookReceiver() {
    this(Clock.systemUTC());
  }

  public WebhookReceiver(Clock clock) {
    super("hook", clock);
  }

  public EndpointAddress.Webhook endpoint() {
    return new EndpointAddress.Webhook(url());
  }

  @Override
  protected Received accept(Request request) throws InvalidPush {
    String contentType = request.header("Content-Type").orElse("").toLowerCase(Locale.ROOT);
    if (!contentType.startsWith("application/json")) {
      throw new InvalidPush("Content-Type is not application/json: " + contentType);
    }
    String body = new String(request.body(), StandardCharsets.UTF_8);
    if (!body.strip().startsWith("{") || !body.strip().endsWith("}")) {
      throw new InvalidPush("the body is not a JSON object");
    }
    SortedMap<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (Map.Entry<String, List<String>> header : request.headers().entrySet()) {
      headers.put(header.getKey(), String.join(", ", header.getValue()));
    }
    return new Received(body, Collections.unmodifiableSortedMap(headers), request.arrival());
  }
}
