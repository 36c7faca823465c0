package org.homeserver.bench.load;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.homeserver.api.delivery.v1.FetchRequest;
import org.homeserver.api.delivery.v1.FetchResponse;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.notifier.v1.GetVapidPublicKeyRequest;
import org.homeserver.api.notifier.v1.NotificationKind;
import org.homeserver.api.notifier.v1.NotificationPolicy;
import org.homeserver.api.notifier.v1.RegisterEndpointRequest;
import org.homeserver.api.notifier.v1.SetDefaultPolicyRequest;
import org.homeserver.api.notifier.v1.Urgency;
import org.homeserver.api.notifier.v1.WebPushSubscription;
import org.homeserver.notifier.push.EndpointAddress;
import org.homeserver.notifier.testing.WebPushReceiver;

/**
 * The pushes run: how many Web Pushes a second the notifier gets out, end to end. Registers the
 * clients, builds one group of them (no client listens, so each message wakes every other member),
 * gives each client a Web Push endpoint at one loopback {@link WebPushReceiver} and a default policy
 * whose topic names the client, has the senders send a fixed number of messages, and waits until
 * the pushes they cause arrived. Then it reads every client's queue back (Fetch) to tell which
 * message each push was for: a push's {@code count} is the sequence of the entry that caused it, as
 * long as nothing is acknowledged.
 */
final class PushRun {
  static final String TOPIC_PREFIX = "client-";
  private static final long DEADLINE_SECONDS = 60;
  /** After sending, pushes may still arrive for this long... */
  private static final Duration ARRIVAL_TIMEOUT = Duration.ofMinutes(10);
  /**
   * ... unless none arrived for this long: longer than the notifier's first retries (1 s, 2 s, 4 s),
   * and than a burst's intake, while which few pushes go out.
   */
  private static final Duration ARRIVAL_QUIET = Duration.ofSeconds(60);
  private static final int FETCH_LIMIT = 1_000;
  private static final String PENDING_JOBS = "notifier_push_jobs_pending";

  /** The Sends of the run: accepted and failed ones, and from the first Send to the last answer. */
  record Sending(Measurement.Result sends, Duration elapsed) {}

  record Result(Duration registration, Duration groupSetup, Duration subscribing, Sending sending,
                PushFigures pushes) {}

  private final Plan plan;
  private final Connections connections;
  private final ServerProcess server;
  private final Progress progress;

  PushRun(Plan plan, Connections connections, ServerProcess server, Progress progress) {
    this.plan = plan;
    this.connections = connections;
    this.server = server;
    this.progress = progress;
  }

  Result run() throws Exception {
    NanoClock clock = new NanoClock();
    try (WebPushReceiver receiver = new WebPushReceiver(clock)) {
      long start = System.nanoTime();
      List<SimulatedClient> clients = progress.step("registering " + plan.clients() + " clients",
          () -> new Registrations(connections, MessageRun.SETUP_PARALLELISM).register(plan.clients()));
      Duration registration = since(start);
      start = System.nanoTime();
      List<BenchGroup> groups = progress.step("creating " + plan.groups() + " group(s) of " + plan.groupSize(),
          () -> GroupSetup.create(clients, plan.groupSize(), MessageRun.SETUP_PARALLELISM));
      Duration groupSetup = since(start);
      // After the group set-up, so that its Welcomes and commits wake no one.
      start = System.nanoTime();
      progress.step("registering a Web Push endpoint at " + receiver.origin() + " for each client",
          () -> subscribe(clients, receiver));
      Duration subscribing = since(start);

      MessageCount count = new MessageCount(plan.messages());
      long expected = sendAndAwait(new Senders(Senders.choose(groups, plan.senders()), plan.messageBytes()), count,
          receiver);
      Map<Integer, Map<Long, Long>> sentAt = progress.step("reading every client's queue back (Fetch)",
          () -> queues(clients));
      PushFigures pushes = PushFigures.of(receiver.received(), receiver.rejections(), expected, sentAt,
          count.acceptedAt(), count.firstSend(), clock);
      return new Result(registration, groupSetup, subscribing, count.sending(), pushes);
    }
  }

  /** Sends the run's messages, then waits for their pushes; returns how many pushes they should cause. */
  private long sendAndAwait(Senders senders, MessageCount count, WebPushReceiver receiver) throws Exception {
    try (AutoCloseable ticker = progress.every(Duration.ofSeconds(5), () -> "messages accepted: "
        + count.accepted() + ", push jobs the server holds: " + pendingJobs() + ", pushes received: "
        + receiver.received().size() + ", rejected: " + receiver.rejections().size())) {
      progress.step("sending " + plan.messages() + " messages", () -> {
        senders.run(plan.pacing(), count);
        return null;
      });
      long expected = count.accepted() * plan.recipientsPerMessage();
      progress.step("waiting for " + expected + " pushes", () -> {
        MessageRun.awaitArrivals(() -> receiver.received().size(), expected, ARRIVAL_TIMEOUT, ARRIVAL_QUIET);
        return null;
      });
      return expected;
    }
  }

  /** The notifier's stored, unfinished push jobs, as its metrics say: "?" if they cannot be read. */
  private String pendingJobs() {
    try {
      OptionalDouble pending = server.metric(PENDING_JOBS);
      return pending.isPresent() ? Long.toString(Math.round(pending.getAsDouble())) : "?";
    } catch (IOException | RuntimeException e) {
      return "?";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "?";
    }
  }

  /**
   * Points every client's endpoint at the receiver (the same URL and keys: endpoints are per client)
   * and sets its default policy, whose topic names it; the receiver takes only the server's VAPID key.
   */
  private Void subscribe(List<SimulatedClient> clients, WebPushReceiver receiver) throws InterruptedException {
    byte[] vapidKey = clients.getFirst().notifier().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
        .getVapidPublicKey(GetVapidPublicKeyRequest.getDefaultInstance()).getPublicKey().toByteArray();
    receiver.expectVapidKey(vapidKey);
    EndpointAddress.WebPush address = receiver.subscription();
    WebPushSubscription subscription = WebPushSubscription.newBuilder()
        .setEndpointUrl(address.url().toString())
        .setP256Dh(ByteString.copyFrom(address.p256dh()))
        .setAuth(ByteString.copyFrom(address.auth()))
        .build();
    Concurrently.map(clients, MessageRun.SETUP_PARALLELISM, client -> {
      client.notifier().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).registerEndpoint(
          RegisterEndpointRequest.newBuilder().setWebPush(subscription)
              .setIdempotencyKey(UUID.randomUUID().toString()).build());
      return client.notifier().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).setDefaultPolicy(
          SetDefaultPolicyRequest.newBuilder().setPolicy(NotificationPolicy.newBuilder()
              .setKind(NotificationKind.NOTIFICATION_KIND_ALERT)
              .setUrgency(Urgency.URGENCY_NORMAL)
              .setCollapseTopic(TOPIC_PREFIX + client.index())).build());
    });
    return null;
  }

  /** For each client (by index), the send time of each message in its queue, by sequence number. */
  private static Map<Integer, Map<Long, Long>> queues(List<SimulatedClient> clients) throws InterruptedException {
    List<Map<Long, Long>> queues = Concurrently.map(clients, MessageRun.SETUP_PARALLELISM, PushRun::sentAtBySequence);
    Map<Integer, Map<Long, Long>> byClient = new HashMap<>();
    for (int i = 0; i < clients.size(); i++) {
      byClient.put(clients.get(i).index(), queues.get(i));
    }
    return byClient;
  }

  private static Map<Long, Long> sentAtBySequence(SimulatedClient client) {
    Map<Long, Long> sentAt = new HashMap<>();
    com.google.protobuf.ByteString token = com.google.protobuf.ByteString.EMPTY;
    for (boolean more = true; more; ) {
      FetchResponse page = client.delivery().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
          .fetch(FetchRequest.newBuilder().setPageToken(token).setLimit(FETCH_LIMIT).build());
      token = page.getNextPageToken();
      for (QueueEntry entry : page.getEntriesList()) {
        if (entry.hasMessage()) {
          TimedMessage.sentAt(entry.getMessage().getMlsMessage().toByteArray())
              .ifPresent(time -> sentAt.put(entry.getSequence(), time));
        }
      }
      more = page.getHasMore() && page.getEntriesCount() > 0;
    }
    return sentAt;
  }

  /** The tally of a pushes run: a fixed number of messages, and when each went and was accepted. */
  private static final class MessageCount implements Senders.Tally {
    /** Counts every Send of the run: its window opens now and outlasts any run. */
    private final Measurement sends = new Measurement(Duration.ZERO, Duration.ofDays(1));
    private final long total;
    private final AtomicLong firstSend = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong lastAnswer = new AtomicLong(Long.MIN_VALUE);
    /** When each accepted message's Send returned, by the send time it carries. */
    private final Map<Long, Long> acceptedAt = new ConcurrentHashMap<>();

    MessageCount(long total) {
      this.total = total;
    }

    @Override
    public boolean sends(long n, long time) {
      if (n >= total) {
        return false;
      }
      firstSend.accumulateAndGet(time, Math::min);
      return true;
    }

    @Override
    public void accepted(long sentAt) {
      long now = System.nanoTime();
      sends.accepted(sentAt);
      acceptedAt.put(sentAt, now);
      lastAnswer.accumulateAndGet(now, Math::max);
    }

    @Override
    public void failed(long sentAt, Throwable error) {
      sends.failed(sentAt, error);
      lastAnswer.accumulateAndGet(System.nanoTime(), Math::max);
    }

    long accepted() {
      return sends.acceptedSoFar();
    }

    long firstSend() {
      return firstSend.get();
    }

    Map<Long, Long> acceptedAt() {
      return acceptedAt;
    }

    Sending sending() {
      return new Sending(sends.result(), Duration.ofNanos(Math.max(0, lastAnswer.get() - firstSend.get())));
    }
  }

  private static Duration since(long start) {
    return Duration.ofNanos(System.nanoTime() - start);
  }
}
