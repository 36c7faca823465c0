package org.homeserver.notifier.fcm;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.homeserver.api.notifier.v1.NotificationKind;
import org.homeserver.notifier.push.EndpointAddress;
import org.homeserver.notifier.push.HttpOutcomes;
import org.homeserver.notifier.push.JsonBodies;
import org.homeserver.notifier.push.Push;
import org.homeserver.notifier.push.PushResult;
import org.homeserver.notifier.push.PushSender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Pushes data messages to Android devices through the FCM HTTP v1 API. */
public final class FcmSender implements PushSender {
  public static final URI GOOGLE = URI.create("https://fcm.googleapis.com");

  private static final Logger LOG = LoggerFactory.getLogger(FcmSender.class);
  private static final String UNREGISTERED = "UNREGISTERED";

  private final HttpClient client;
  private final AccessTokens accessTokens;
  private final URI messagesUri;
  private final Clock clock;
  private final Duration timeout;

  /**
   * @param client  never following redirects; HTTP/2 preferred
   * @param base    the FCM API's base URI, normally {@link #GOOGLE}
   * @param timeout the bound on each request, to FCM and to the token endpoint alike
   */
  public FcmSender(HttpClient client, FcmCredentials credentials, URI base, Clock clock, Duration timeout) {
    if (client.followRedirects() != HttpClient.Redirect.NEVER) {
      throw new IllegalArgumentException("a push sender's HTTP client must never follow redirects");
    }
    this.client = client;
    this.accessTokens = new AccessTokens(client, credentials, clock, timeout);
    this.messagesUri = URI.create(
        base.toString().replaceFirst("/+$", "") + "/v1/projects/" + credentials.projectId() + "/messages:send");
    this.clock = clock;
    this.timeout = timeout;
  }

  @Override
  public PushResult send(EndpointAddress address, Push push) {
    if (!(address instanceof EndpointAddress.Fcm device)) {
      throw new IllegalArgumentException("not an FCM address: " + address.getClass().getSimpleName());
    }
    return switch (accessTokens.current()) {
      case AccessTokens.Grant.Refused refused -> refused.result();
      case AccessTokens.Grant.Token token -> send(device, push, token.accessToken());
    };
  }

  /** The FCM v1 request body of {@code push} (notifier.proto PAYLOAD, FCM): a data message. */
  static String body(EndpointAddress.Fcm device, Push push) {
    boolean alert = push.kind() == NotificationKind.NOTIFICATION_KIND_ALERT;
    ObjectNode body = JsonBodies.object();
    ObjectNode message = body.putObject("message").put("token", device.registrationToken());
    // FCM data values are strings only, so the count travels as one.
    message.putObject("data")
        .put("id", push.notificationId()).put("count", Long.toString(push.count())).put("kind", push.kindName());
    ObjectNode android = message.putObject("android")
        .put("priority", alert ? "HIGH" : "NORMAL").put("ttl", push.ttlSeconds() + "s");
    if (!push.topic().isEmpty()) {
      android.put("collapse_key", push.topic());
    }
    return JsonBodies.write(body);
  }

  private PushResult send(EndpointAddress.Fcm device, Push push, String accessToken) {
    HttpRequest request = HttpRequest.newBuilder(messagesUri)
        .timeout(timeout)
        .header("authorization", "Bearer " + accessToken)
        .header("content-type", "application/json; charset=UTF-8")
        .POST(HttpRequest.BodyPublishers.ofString(body(device, push)))
        .build();
    try {
      return outcome(client.send(request, HttpResponse.BodyHandlers.ofString()), accessToken);
    } catch (HttpTimeoutException e) {
      return new PushResult.Retry("timeout", Optional.empty());
    } catch (IOException e) {
      LOG.debug("FCM request failed", e);
      return new PushResult.Retry("unreachable", Optional.empty());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new PushResult.Retry("interrupted", Optional.empty());
    }
  }

  private PushResult outcome(HttpResponse<String> response, String accessToken) {
    int status = response.statusCode();
    List<String> errors = errorCodes(response.body());
    String described = errors.isEmpty() ? "HTTP " + status : "HTTP " + status + " " + errors.getFirst();
    if (status >= 200 && status < 300) {
      return new PushResult.Delivered();
    }
    if (status == 404 || errors.contains(UNREGISTERED)) {
      return new PushResult.Gone(errors.contains(UNREGISTERED) ? "HTTP " + status + " " + UNREGISTERED : described);
    }
    if (status == 401) {
      accessTokens.rejected(accessToken);
      return new PushResult.Retry(described, Optional.empty());
    }
    return switch (HttpOutcomes.of(status, response.headers().firstValue("retry-after"), clock)) {
      case PushResult.Retry retry -> new PushResult.Retry(described, retry.retryAfter());
      default -> new PushResult.Failed(described);
    };
  }

  /**
   * The FCM error codes of an error body, most specific first: those of the {@code FcmError}
   * details (UNREGISTERED, SENDER_ID_MISMATCH, ...), then the status (NOT_FOUND, INVALID_ARGUMENT, ...).
   */
  private static List<String> errorCodes(String body) {
    List<String> codes = new ArrayList<>();
    JsonNode error = JsonBodies.read(body).path("error");
    JsonNode details = error.path("details");
    if (details.isArray()) {
      for (JsonNode detail : details) {
        detail.path("errorCode").stringValueOpt().ifPresent(codes::add);
      }
    }
    error.path("status").stringValueOpt().ifPresent(codes::add);
    return codes;
  }
}
