package org.homeserver.notifier.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import org.homeserver.notifier.push.JsonBodies;

/**
 * What the HTTPS fakes of push services share: a server on 127.0.0.1 with a fresh self-signed
 * certificate, HTTP clients that trust it, and answers a test queues to be given instead of the
 * fake's own.
 */
public abstract class HttpsFake implements AutoCloseable {
  // Far above any body a sender makes; a runaway request stops here.
  private static final int MAX_BODY_BYTES = 1 << 20;

  /** A request as the fake saw it; header names lower-cased, each with its first value. */
  public record Request(String method, String path, Map<String, String> headers, String body) {
    public Optional<String> header(String name) {
      return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }
  }

  /** An HTTP answer: status, body and extra headers. */
  public record Answer(int status, String body, Map<String, String> headers) {
    public Answer {
      headers = Map.copyOf(headers);
    }

    public static Answer of(int status, String body) {
      return new Answer(status, body, Map.of());
    }

    public Answer withHeader(String name, String value) {
      Map<String, String> more = new LinkedHashMap<>(headers);
      more.put(name, value);
      return new Answer(status, body, more);
    }
  }

  private final TestTls tls = TestTls.create();
  private final Queue<Answer> scripted = new ConcurrentLinkedQueue<>();
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private HttpsServer server;

  /** Starts serving; a subclass calls it last, once it can answer. */
  protected final void start() {
    try {
      server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setHttpsConfigurator(new HttpsConfigurator(tls.serverContext()));
    server.setExecutor(executor);
    server.createContext("/", this::exchange);
    server.start();
  }

  /** The fake's own answer to {@code request}, given when no scripted answer is due. */
  protected abstract Answer answer(Request request);

  /** The base URI, {@code https://127.0.0.1:<port>}. */
  public URI uri() {
    return URI.create("https://127.0.0.1:" + server.getAddress().getPort());
  }

  /** A TLS context trusting this fake's certificate alone. */
  public SSLContext clientTls() {
    return tls.clientContext();
  }

  /** An HTTP client builder as the senders want one (HTTP/2, no redirects), trusting this fake. */
  public HttpClient.Builder clientBuilder() {
    return HttpClient.newBuilder()
        .sslContext(clientTls())
        .version(HttpClient.Version.HTTP_2)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(10));
  }

  /** Queues {@code answer} for the next request that passes the fake's checks. */
  public void answerNext(Answer answer) {
    scripted.add(answer);
  }

  /** The next scripted answer, if one is queued; a subclass asks once a request passed its checks. */
  protected Optional<Answer> scriptedAnswer() {
    return Optional.ofNullable(scripted.poll());
  }

  @Override
  public void close() {
    server.stop(0);
    executor.close();
  }

  private void exchange(HttpExchange exchange) throws IOException {
    try (exchange) {
      Answer answer;
      try {
        answer = answer(request(exchange));
      } catch (RuntimeException e) {
        // A fake that breaks says so loudly: the sender sees a 500 and the test fails on it.
        answer = Answer.of(500, JsonBodies.write(JsonBodies.object().put("fakeFailed", e.toString())));
      }
      answer.headers().forEach(exchange.getResponseHeaders()::set);
      exchange.getResponseHeaders().set("content-type", "application/json");
      byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(answer.status(), body.length == 0 ? -1 : body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static Request request(HttpExchange exchange) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), first(values)));
    try (InputStream in = exchange.getRequestBody()) {
      String body = new String(in.readNBytes(MAX_BODY_BYTES), StandardCharsets.UTF_8);
      return new Request(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), headers, body);
    }
  }

  private static String first(List<String> values) {
    return values.isEmpty() ? "" : values.getFirst();
  }
}
