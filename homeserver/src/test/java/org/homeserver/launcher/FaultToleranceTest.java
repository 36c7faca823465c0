package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.api.delivery.v1.DeliveryServiceGrpc;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.mls.TestMessages;
import org.homeserver.notifier.testing.WebPushReceiver;
import org.homeserver.platform.db.PostgresLocation;
import org.homeserver.platform.grpc.BearerTokens;
import org.homeserver.platform.grpc.ErrorStatus;
import org.homeserver.platform.testing.Eventually;
import org.homeserver.platform.testing.RedisProcess;
import org.homeserver.platform.testing.Soak;
import org.homeserver.platform.testing.TestPostgres;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two full homeserver processes on one PostgreSQL and a Redis of the test's own, under steady
 * traffic (two senders on the first process, readers listening on the second), through three faults
 * in turn: Redis killed for a while and started again empty; every database connection terminated
 * ten times; the senders' process killed with SIGKILL. Senders retry what they were told to retry,
 * with the same idempotency key, on the other process when theirs is gone. Every accepted message
 * must reach every reader once, in the order the hub accepted it; readers on the other process keep
 * receiving while Redis is down (p99 under 2 s); sign-in works throughout; pushes resume once Redis
 * is back; and no call is ever answered INTERNAL. The Redis outage lasts about 8 s in the suite (four
 * times Redis's command timeout, long enough for every client of it to have given up and fallen back)
 * and 30 s under {@code bench/soak}.
 */
@Tag("alone")   // its Listen lag is a latency: measured with no other test beside it
class FaultToleranceTest {
  /** Messages each sender offers per second. */
  private static final int RATE = 10;
  /** The Redis outage lasts this many accepted messages: its length in seconds at both senders' rate. */
  private static final int OUTAGE_MESSAGES = Soak.size(8, 30) * 2 * RATE;
  private static final int TERMINATIONS = 10;
  private static final Duration WAIT = Duration.ofSeconds(90);

  private record Accepted(ByteString message, String sender, long atNanos) {}

  private final Queue<Accepted> accepted = new ConcurrentLinkedQueue<>();
  private final Queue<String> unexpected = new ConcurrentLinkedQueue<>();

  @Test
  void throughARedisOutageTerminatedConnectionsAndAKilledProcessEveryAcceptedMessageArrivesOnceInOrder()
      throws Exception {
    PostgresLocation database = TestPostgres.freshDatabase();
    try (RedisProcess redis = RedisProcess.start();
         WebPushReceiver pushes = new WebPushReceiver()) {
      Map<String, String> settings = Map.of("database.url", database.jdbcUrl(), "redis.url", redis.url(),
          "redis.key-prefix", "faults:", "notifier.allow-loopback-endpoints", "true");
      HomeserverProcess first = HomeserverProcess.start(settings);
      HomeserverProcess second = HomeserverProcess.start(settings);
      try {
        run(first, second, redis, database, pushes);
      } catch (AssertionError | Exception e) {
        System.err.println("first process, last lines:\n" + first.logTail(80));
        System.err.println("second process, last lines:\n" + second.logTail(80));
        throw e;
      } finally {
        first.close();
        second.close();
      }
    }
  }

  private void run(HomeserverProcess first, HomeserverProcess second, RedisProcess redis, PostgresLocation database,
                   WebPushReceiver pushes) throws Exception {
    for (String handle : List.of("ann", "bob", "cyd", "dan")) {
      TestHomeserver.registerUser(first.channel, handle);
    }
    TestHomeserver.connectAll(first.channel, "ann", "bob", "cyd", "dan");
    List<TestMember> senders = List.of(TestMember.register(first.channel, "ann"), TestMember.register(first.channel, "bob"));
    List<TestMember> listeners = List.of(TestMember.register(first.channel, "cyd"), TestMember.register(first.channel, "dan"),
        TestMember.register(first.channel, "ann"));
    TestMember sleeper = TestMember.register(first.channel, "dan");
    List<TestMember> others = new ArrayList<>(senders.subList(1, 2));
    others.addAll(listeners);
    others.add(sleeper);
    byte[] group = senders.getFirst().createGroupWith(others, Instant.now());
    sleeper.registerWebPush(pushes);

    List<QueueReader> readers = listeners.stream()
        .map(m -> new QueueReader(m.via(second.channel), List.of(second.channel, first.channel)).start()).toList();
    long outageStart;
    long outageEnd;
    ScheduledExecutorService sending = Executors.newScheduledThreadPool(senders.size());
    List<Sender> running = new ArrayList<>();
    for (TestMember member : senders) {
      Sender sender = new Sender(member, group, new ArrayList<>(List.of(first.channel, second.channel)));
      running.add(sender);
      sending.scheduleWithFixedDelay(sender::tick, 0, 20, TimeUnit.MILLISECONDS);
    }
    try {
      awaitAccepted(40, "traffic before any fault");

      // Redis goes away for a while, then comes back with nothing in it.
      redis.kill();
      outageStart = System.nanoTime();
      int before = accepted.size();
      // Meanwhile, on either process, a new user registers and a new client of an old one signs in.
      for (HomeserverProcess process : List.of(first, second)) {
        TestHomeserver.registerUser(process.channel, "new" + process.port);
        TestMember.register(process.channel, "cyd", SignatureScheme.ECDSA_SECP256R1_SHA256);
      }
      awaitAccepted(before + OUTAGE_MESSAGES, "traffic during the Redis outage");
      redis.restart();
      outageEnd = System.nanoTime();
      int pushesBefore = pushes.received().size();
      awaitAccepted(accepted.size() + 40, "traffic after Redis is back");
      Eventually.until("pushes resume after Redis is back", WAIT, () -> pushes.received().size() > pushesBefore + 10);

      // Every database connection of both processes is terminated, ten times over.
      try (Connection admin = DriverManager.getConnection(adminUrl(database), database.user(), database.password());
           Statement sql = admin.createStatement()) {
        String name = database.jdbcUrl().substring(database.jdbcUrl().lastIndexOf('/') + 1);
        for (int i = 0; i < TERMINATIONS; i++) {
          int mark = accepted.size();
          sql.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = '" + name + "'");
          awaitAccepted(mark + 10, "traffic after the termination of every connection (" + (i + 1) + ")");
        }
      }

      // The senders' process dies at once; they go on through the other one.
      first.kill();
      awaitAccepted(accepted.size() + 40, "traffic after the senders' process was killed");
      // Senders finish what they have in hand, so every message the hub stored is one a sender saw accepted.
      running.forEach(Sender::stop);
      Eventually.until("the senders finish their last sends", WAIT, () -> running.stream().allMatch(Sender::idle));
    } finally {
      sending.shutdownNow();
      sending.awaitTermination(30, TimeUnit.SECONDS);
    }

    List<ByteString> all = accepted.stream().map(Accepted::message).toList();
    for (QueueReader reader : readers) {
      Eventually.until(reader.member.id() + " received all " + all.size() + " accepted messages", WAIT,
          () -> new HashSet<>(reader.messages()).containsAll(all));
    }
    List<ByteString> order = readers.getFirst().messages();
    for (QueueReader reader : readers) {
      List<ByteString> received = reader.messages();
      List<ByteString> extra = received.stream().filter(m -> !all.contains(m)).toList();
      assertEquals(List.of(), extra.stream().map(m -> "a message no sender saw accepted, at position "
          + received.indexOf(m) + " of " + received.size()).toList(), reader.member.id());
      assertEquals(all.size(), received.size(), reader.member.id() + " received each accepted message exactly once");
      assertEquals(order, received, reader.member.id() + " received them in the hub's one order");
      for (Sender sender : running) {
        List<ByteString> own = received.stream().filter(sender.sent::contains).toList();
        assertEquals(sender.sent, own, "the messages of " + sender.member.id() + " in the order it sent them");
      }
      assertTrue(reader.contiguous(), reader.member.id() + " saw no hole in its queue");
      unexpected.addAll(reader.unexpected);
    }
    List<Long> lags = outageLags(readers, outageStart, outageEnd);
    long p99 = lags.get((int) Math.ceil(lags.size() * 0.99) - 1);
    System.out.printf("Redis down for %.1f s; Listen lag meanwhile: %d messages, p50 %d ms, p99 %d ms, max %d ms; "
            + "%d messages accepted, %d sends answered UNAVAILABLE and sent again, %d sent again to the other process%n",
        (outageEnd - outageStart) / 1e9, lags.size(), lags.get(lags.size() / 2), p99, lags.getLast(), all.size(),
        running.stream().mapToInt(s -> s.retried).sum(), running.stream().mapToInt(s -> s.failedOver).sum());
    assertTrue(p99 < 2000, "p99 of the Listen lag during the Redis outage: " + p99 + " ms");
    assertEquals(List.of(), List.copyOf(unexpected));
  }

  /** How long after its acceptance each message accepted during the outage reached each reader (ms), sorted. */
  private List<Long> outageLags(List<QueueReader> readers, long start, long end) {
    List<Long> lags = new ArrayList<>();
    for (QueueReader reader : readers) {
      Map<ByteString, Long> receivedAt = reader.receivedAt();
      for (Accepted a : accepted) {
        if (a.atNanos() >= start && a.atNanos() <= end) {
          lags.add(Math.max(0, TimeUnit.NANOSECONDS.toMillis(receivedAt.get(a.message()) - a.atNanos())));
        }
      }
    }
    lags.sort(Comparator.naturalOrder());
    return lags;
  }

  private void awaitAccepted(int count, String what) {
    Eventually.until(count + " messages accepted: " + what + " (so far " + accepted.size() + ")", WAIT,
        () -> accepted.size() >= count || !unexpected.isEmpty());
    assertEquals(List.of(), List.copyOf(unexpected), what);
  }

  private static String adminUrl(PostgresLocation database) {
    String url = database.jdbcUrl();
    return url.substring(0, url.lastIndexOf('/') + 1) + "postgres";
  }

  /**
   * A member sending application messages at {@link #RATE} a second, as an app does: a send that got
   * a passing fault (UNAVAILABLE, or no answer) is sent again, unchanged and with the same idempotency
   * key, after the delay it was told (or at once to the other process, when its own is gone).
   */
  private final class Sender {
    final TestMember member;
    final List<ByteString> sent = new ArrayList<>();
    private final byte[] group;
    private final List<Channel> processes;
    private final AtomicInteger process = new AtomicInteger();
    /** Sends answered UNAVAILABLE by the server (its RetryInfo followed), and sent again elsewhere. */
    int retried;
    int failedOver;
    private volatile SendRequest pending;
    private long nextNew;
    private long retryAt;

    Sender(TestMember member, byte[] group, List<Channel> processes) {
      this.member = member;
      this.group = group;
      this.processes = processes;
    }

    private volatile boolean stopping;

    /** Sends nothing new from now on; what is in hand is still sent until it is accepted. */
    void stop() {
      stopping = true;
    }

    boolean idle() {
      return stopping && pending == null;
    }

    /** One step, on the sender's own thread every few milliseconds. */
    void tick() {
      long now = System.nanoTime();
      if (pending == null) {
        if (stopping || now < nextNew) {
          return;
        }
        pending = SendRequest.newBuilder().setMlsMessage(ByteString.copyFrom(TestMessages.application(group, 1, 64)))
            .setIdempotencyKey(UUID.randomUUID().toString()).build();
        nextNew = now + TimeUnit.SECONDS.toNanos(1) / RATE;
      }
      if (now < retryAt) {
        return;
      }
      try {
        DeliveryServiceGrpc.newBlockingStub(processes.get(process.get() % processes.size()))
            .withCallCredentials(BearerTokens.credentials(member.token)).withDeadlineAfter(10, TimeUnit.SECONDS)
            .send(pending);
        sent.add(pending.getMlsMessage());
        accepted.add(new Accepted(pending.getMlsMessage(), member.id(), System.nanoTime()));
        pending = null;
      } catch (StatusRuntimeException e) {
        var info = ErrorStatus.errorInfo(e);
        boolean answered = info.isPresent();
        if (e.getStatus().getCode() == Status.Code.UNAVAILABLE && answered
            && info.get().getReason().equals(ErrorReason.UNAVAILABLE.name())) {
          retryAt = now + TimeUnit.SECONDS.toNanos(1);   // the server's RetryInfo says 1 s
          retried++;
        } else if (!answered && (e.getStatus().getCode() == Status.Code.UNAVAILABLE
            || e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED)) {
          process.incrementAndGet();   // the process is gone: its other process takes the same request
          failedOver++;
        } else {
          unexpected.add("Send by " + member.id() + ": " + e);
          pending = null;
        }
      }
    }
  }
}
