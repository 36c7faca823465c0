package org.homeserver.bench.load;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesResponse;
import org.homeserver.api.keypackage.v1.ClaimedKeyPackage;
import org.homeserver.api.keypackage.v1.KeyPackageCount;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesResponse;
import org.homeserver.mls.TestKeyPackages;

/**
 * The key-packages run: how fast the KeyPackage store takes published batches and hands out
 * claims. Registers the claimers (users of 32 clients) and the target users (two clients each),
 * connects every claiming user with every target user, has each target client publish a full batch
 * of KeyPackages signed beforehand (the publish latency), then lets the claimers claim from the
 * target users in turn in a closed loop.
 */
final class KeyPackageRun {
  static final int CLIENTS_PER_TARGET = 2;
  /** The most one PublishKeyPackages takes. */
  static final int BATCH = 100;
  private static final long DEADLINE_SECONDS = 60;
  private static final long FAILURE_PAUSE_MILLIS = 10;

  /** The publishes of the target clients: each of {@code keyPackagesEach}, {@code concurrency} at a time. */
  record Publishing(int publishes, int keyPackagesEach, int concurrency, Duration elapsed, Histogram latencyMicros) {
    double validatedPerSecond() {
      return (double) publishes * keyPackagesEach / (elapsed.toNanos() / 1e9);
    }
  }

  /**
   * The claims of the window (latency per claim), the KeyPackages they handed out that the server
   * deleted and that it kept (a client's last), and deleted ones of the whole run handed out twice.
   */
  record Claiming(Measurement.Result figures, long deleted, long kept, long withoutKeyPackage, long handedOutTwice) {}

  record Result(Duration registration, Duration connecting, Duration signing, Publishing publishing,
                Claiming claiming) {}

  private final Plan plan;
  private final Connections connections;
  private final Progress progress;

  KeyPackageRun(Plan plan, Connections connections, Progress progress) {
    this.plan = plan;
    this.connections = connections;
    this.progress = progress;
  }

  Result run() throws Exception {
    long start = System.nanoTime();
    Registrations registrations = new Registrations(connections, MessageRun.SETUP_PARALLELISM);
    List<SimulatedClient> claimers = progress.step("registering " + plan.clients() + " claiming clients",
        () -> registrations.register(plan.clients()));
    int targetClients = plan.targetUsers() * CLIENTS_PER_TARGET;
    List<SimulatedClient> targets = progress.step("registering " + plan.targetUsers() + " target users of "
        + CLIENTS_PER_TARGET + " clients", () ->
        registrations.register(targetClients, CLIENTS_PER_TARGET, "load-target", plan.clients()));
    Duration registration = since(start);

    start = System.nanoTime();
    progress.step("connecting every claiming user with every target user", () -> connect(claimers, targets));
    Duration connecting = since(start);

    start = System.nanoTime();
    List<List<ByteString>> batches = progress.step("signing " + BATCH + " KeyPackages for each of "
        + targets.size() + " target clients", () -> Concurrently.map(targets,
        Runtime.getRuntime().availableProcessors(), KeyPackageRun::batch));
    Duration signing = since(start);

    Publishing publishing = progress.step("publishing " + targets.size() + " batches of " + BATCH + ", "
        + plan.publishers() + " at a time", () -> publish(targets, batches));
    List<String> targetUsers = targets.stream().map(SimulatedClient::userId).distinct().toList();
    Claiming claiming = progress.step("claiming: " + Progress.seconds(plan.warmup()) + " warm-up, then "
        + Progress.seconds(plan.duration()) + " measured", () -> claim(claimers, targetUsers));
    return new Result(registration, connecting, signing, publishing, claiming);
  }

  /** Each claiming user requests a connection with each target user, which accepts it. */
  private Void connect(List<SimulatedClient> claimers, List<SimulatedClient> targets) throws InterruptedException {
    List<SimulatedClient> claiming = UserConnections.firstOfEachUser(claimers);
    List<SimulatedClient[]> pairs = UserConnections.firstOfEachUser(targets).stream()
        .flatMap(target -> claiming.stream().map(claimer -> new SimulatedClient[] {claimer, target})).toList();
    Concurrently.map(pairs, MessageRun.SETUP_PARALLELISM, pair -> {
      UserConnections.connect(pair[0], pair[1]);
      return null;
    });
    return null;
  }

  /** A full batch of freshly signed KeyPackages of the client, as MLSMessages: client work, done before any timing. */
  private static List<ByteString> batch(SimulatedClient client) {
    return IntStream.range(0, BATCH)
        .mapToObj(i -> ByteString.copyFrom(TestKeyPackages.encodeAsMessage(client.keyPackage()))).toList();
  }

  /** Each target client publishes its batch once; the phase's length gives the server's validation rate. */
  private Publishing publish(List<SimulatedClient> targets, List<List<ByteString>> batches)
      throws InterruptedException {
    Recorder latency = new Recorder(3);
    long start = System.nanoTime();
    Concurrently.map(IntStream.range(0, targets.size()).boxed().toList(), plan.publishers(), i -> {
      long sent = System.nanoTime();
      PublishKeyPackagesResponse response = targets.get(i).keyPackages()
          .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
          .publishKeyPackages(PublishKeyPackagesRequest.newBuilder().addAllKeyPackages(batches.get(i))
              .setIdempotencyKey(UUID.randomUUID().toString()).build());
      latency.recordValue(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - sent));
      int stored = response.getCountsList().stream().mapToInt(KeyPackageCount::getCount).sum();
      if (stored != BATCH) {
        throw new IllegalStateException(targets.get(i).clientId() + " published " + BATCH
            + " KeyPackages, the server counts " + stored);
      }
      return stored;
    });
    return new Publishing(targets.size(), BATCH, plan.publishers(), since(start), latency.getIntervalHistogram());
  }

  /** A virtual thread per claimer, each claiming again as soon as its claim returned. */
  private Claiming claim(List<SimulatedClient> claimers, List<String> targetUsers) throws Exception {
    ClaimLoop loop = new ClaimLoop(new Measurement(plan.warmup(), plan.duration()), targetUsers);
    try (AutoCloseable ticker = progress.every(Duration.ofSeconds(5), loop::progress);
         ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (SimulatedClient claimer : claimers) {
        threads.submit(() -> loop.claimInTurn(claimer));
      }
    }
    return loop.result();
  }

  /** The claimers' shared turn over the target users, and what their claims handed out. */
  private static final class ClaimLoop {
    private final Measurement m;
    private final List<String> targetUsers;
    private final AtomicLong turn = new AtomicLong();
    private final LongAdder deleted = new LongAdder();
    private final LongAdder kept = new LongAdder();
    private final LongAdder without = new LongAdder();
    private final LongAdder twice = new LongAdder();
    /** Every deleted KeyPackage handed out in the run: none may come twice. */
    private final Set<ByteString> handedOut = ConcurrentHashMap.newKeySet();

    ClaimLoop(Measurement m, List<String> targetUsers) {
      this.m = m;
      this.targetUsers = targetUsers;
    }

    Void claimInTurn(SimulatedClient claimer) throws InterruptedException {
      for (long sent = System.nanoTime(); sent < m.windowEnd(); sent = System.nanoTime()) {
        String target = targetUsers.get((int) (turn.getAndIncrement() % targetUsers.size()));
        try {
          ClaimKeyPackagesResponse response = claimer.keyPackages()
              .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
              .claimKeyPackages(ClaimKeyPackagesRequest.newBuilder().setUserId(target)
                  .setCipherSuite(SimulatedClient.SUITE.code())
                  .setIdempotencyKey(UUID.randomUUID().toString()).build());
          m.answered(sent, System.nanoTime());
          count(sent, response);
        } catch (RuntimeException e) {
          m.failed(sent, e);
          // A server refusing everything would otherwise be asked again at once, as fast as it refuses.
          Thread.sleep(FAILURE_PAUSE_MILLIS);
        }
      }
      return null;
    }

    private void count(long sent, ClaimKeyPackagesResponse response) {
      for (ClaimedKeyPackage claimed : response.getKeyPackagesList()) {
        if (!claimed.getKept() && !handedOut.add(claimed.getKeyPackage())) {
          twice.increment();
        }
        if (m.inWindow(sent)) {
          (claimed.getKept() ? kept : deleted).increment();
        }
      }
      if (m.inWindow(sent)) {
        without.add(response.getClientsWithoutKeyPackageCount());
      }
    }

    String progress() {
      return "claims in the window: " + m.acceptedSoFar() + ", KeyPackages handed out and deleted: " + deleted.sum()
          + ", kept ones: " + kept.sum();
    }

    Claiming result() {
      return new Claiming(m.result(), deleted.sum(), kept.sum(), without.sum(), twice.sum());
    }
  }

  private static Duration since(long start) {
    return Duration.ofNanos(System.nanoTime() - start);
  }
}
