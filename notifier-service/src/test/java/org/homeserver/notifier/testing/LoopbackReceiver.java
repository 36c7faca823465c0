package org.homeserver.notifier.testing;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * A push service on 127.0.0.1 for tests: records what it accepts, refuses the invalid with 400, answers as scripted.
 *
 * @param <R> what it records of an accepted push
 */
public abstract class LoopbackReceiver<R> implements AutoCloseable {
  /** One answer to a valid push. */
  public record Answer(int status, Map<String, String> headers) {
    public Answer {
      headers = Map.copyOf(headers);
    }

    public static Answer of(int status) {
      return new Answer(status, Map.of());
    }
  }

  /** One valid push as it arrived and the status it was answered with, whatever that was. */
  public record Attempt<R>(R push, int status, Instant arrival) {}

  /** One request as it arrived. */
  protected record Request(String method, Headers headers, byte[] body, Instant arrival) {
    public Optional<String> header(String name) {
      return Optional.ofNullable(headers.getFirst(name));
    }
  }

  private static final Answer CREATED = Answer.of(201);
  private final Clock clock;
  private final String path;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final HttpServer server;
  // All below guarded by this.
  private final Deque<Answer> scripted = new ArrayDeque<>();
  private IntFunction<Answer> answers = request -> CREATED;
  private final List<R> received = new ArrayList<>();
  private final List<Attempt<R>> attempts = new ArrayList<>();
  private final List<String> rejections = new ArrayList<>();
  private int requests;

  /** Starts serving at http://127.0.0.1:<free port>/<pathPrefix>/<random>. */
  protected LoopbackReceiver(String pathPrefix, Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    // The random part makes the URL a capability, as push services' URLs are.
    this.path = "/" + pathPrefix + "/" + UUID.randomUUID();
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("no loopback port", e);
    }
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  /** What to record of a valid push; throws to refuse it with 400. */
  protected abstract R accept(Request request) throws InvalidPush;

  /** The one URL that takes pushes. */
  public URI url() {
    return URI.create(origin() + path);
  }

  /** http://127.0.0.1:port, the audience VAPID tokens must name. */
  public String origin() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Answers the next valid push so, ahead of {@link #answerWith}; calls queue up. */
  public synchronized void answerNext(int status, Map<String, String> headers) {
    scripted.add(new Answer(status, headers));
  }

  public void answerNext(int status) {
    answerNext(status, Map.of());
  }

  /** Answers each valid push by its number among all requests, counting from 1 (201 until set). */
  public synchronized void answerWith(IntFunction<Answer> byRequestNumber) {
    answers = Objects.requireNonNull(byRequestNumber);
  }

  /** The pushes answered 2xx, in order of arrival. */
  public synchronized List<R> received() {
    return List.copyOf(received);
  }

  /** Why each refused request was refused. */
  public synchronized List<String> rejections() {
    return List.copyOf(rejections);
  }

  /** Every request that arrived, valid or not. */
  public synchronized int requestCount() {
    return requests;
  }

  /**
   * Waits until at least {@code count} valid pushes arrived, however they were answered, and returns
   * them all in order of arrival.
   *
   * @throws AssertionError if they have not within {@code timeout}, naming any rejections
   */
  public synchronized List<Attempt<R>> awaitAttempts(int count, Duration timeout) throws InterruptedException {
    return awaitAttempts(all -> all.size() >= count, count + " pushes", timeout);
  }

  /**
   * Waits until the valid pushes that arrived so far, however they were answered, satisfy
   * {@code done}, and returns them in order of arrival.
   *
   * @throws AssertionError if they have not within {@code timeout}
   */
  public synchronized List<Attempt<R>> awaitAttempts(java.util.function.Predicate<List<Attempt<R>>> done, String what,
      Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.test(attempts)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("expected " + what + " within " + timeout + ", got " + attempts.size()
            + " attempts; rejections: " + rejections);
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return List.copyOf(attempts);
  }

  /**
   * Waits until at least {@code count} pushes were answered 2xx and returns them all.
   *
   * @throws AssertionError if they have not within {@code timeout}, naming any rejections
   */
  public synchronized List<R> awaitReceived(int count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (received.size() < count) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("expected " + count + " pushes within " + timeout + ", received "
            + received.size() + "; rejections: " + rejections);
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return List.copyOf(received);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.close();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Request request = new Request(exchange.getRequestMethod(), exchange.getRequestHeaders(),
          exchange.getRequestBody().readAllBytes(), clock.instant());
      Answer answer = answer(exchange.getRequestURI().getPath(), request);
      answer.headers().forEach(exchange.getResponseHeaders()::add);
      exchange.sendResponseHeaders(answer.status(), -1);
    }
  }

  private Answer answer(String requestPath, Request request) {
    int number = countRequest();
    if (!requestPath.equals(path)) {
      return reject(404, "no subscription at " + requestPath);
    }
    if (!request.method().equals("POST")) {
      return reject(405, request.method() + " instead of POST");
    }
    try {
      return record(number, accept(request));
    } catch (InvalidPush e) {
      return reject(400, e.getMessage());
    } catch (RuntimeException e) {
      // A receiver bug must show up as a rejection, not as a hung or reset connection.
      return reject(500, "the receiver failed: " + e);
    }
  }

  private synchronized int countRequest() {
    return ++requests;
  }

  private synchronized Answer record(int number, R push) {
    Answer answer = scripted.isEmpty() ? answers.apply(number) : scripted.poll();
    attempts.add(new Attempt<>(push, answer.status(), clock.instant()));
    if (answer.status() >= 200 && answer.status() < 300) {
      received.add(push);
    }
    notifyAll();
    return answer;
  }

  private synchronized Answer reject(int status, String reason) {
    rejections.add(reason);
    return Answer.of(status);
  }
}
