package org.homeserver.notifier.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

class WebhookReceiverTest {
  @AutoClose
  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  private static final String JSON = "{\"id\":\"n-1\",\"count\":2,\"kind\":\"silent\"}";

  @AutoClose
  private final WebhookReceiver receiver = new WebhookReceiver();

  @Test
  void jsonPostIsRecordedWithItsHeaders() throws Exception {
    int status = post(receiver.url(), "application/json", JSON);

    List<WebhookReceiver.Received> received = receiver.awaitReceived(1, Duration.ofSeconds(5));
    assertEquals(201, status);
    assertEquals(JSON, received.getFirst().body());
    assertEquals(Optional.of("application/json"), received.getFirst().header("content-type"));
  }

  @Test
  void scriptedAnswersComeFirstInOrderAndAreNotRecorded() throws Exception {
    receiver.answerNext(429, Map.of("Retry-After", "3"));
    receiver.answerNext(503);

    List<Integer> statuses = List.of(post(receiver.url(), "application/json", JSON),
        post(receiver.url(), "application/json", JSON), post(receiver.url(), "application/json", JSON));

    assertEquals(List.of(429, 503, 201), statuses);
    assertEquals(1, receiver.received().size());
    assertEquals(3, receiver.requestCount());
  }

  @Test
  void bodyThatIsNotJsonIsRefusedWithItsReason() throws Exception {
    int status = post(receiver.url(), "text/plain", "hello");

    assertEquals(400, status);
    assertEquals(List.of("Content-Type is not application/json: text/plain"), receiver.rejections());
    assertEquals(List.of(), receiver.received());
  }

  @Test
  void postToAnotherPathIsRefusedAsUnknown() throws Exception {
    int status = post(URI.create(receiver.origin() + "/hook/guess"), "application/json", JSON);

    assertEquals(404, status);
    assertTrue(receiver.rejections().getFirst().startsWith("no subscription at"), receiver.rejections().toString());
  }

  @Test
  void waitingForMorePushesThanArrivedFailsNamingTheRejections() throws Exception {
    post(receiver.url(), "text/plain", "hello");

    AssertionError error = assertThrows(AssertionError.class, () -> receiver.awaitReceived(1, Duration.ofMillis(50)));
    assertTrue(error.getMessage().contains("Content-Type is not application/json"), error.getMessage());
  }

  private static int post(URI url, String contentType, String body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(url).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return CLIENT.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
