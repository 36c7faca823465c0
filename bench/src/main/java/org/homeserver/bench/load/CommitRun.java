package org.homeserver.bench.load;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.homeserver.api.delivery.v1.CommitBundle;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.group.PublicGroupState;

/**
 * The commits run: what a commit costs the Delivery Service end to end once it follows the group's
 * public state. Registers the clients, puts them all in one group (added by real commits, as every
 * run builds its groups), then has the members commit one after another, each a commit with an
 * UpdatePath and no proposals (what a client sends to refresh its keys), with the new epoch's
 * GroupInfo, as fast as the answers come. Each Send is timed from the call to its answer: decoding,
 * the state applied and checked, the new state stored, the log entry and the GroupInfo written, and
 * the commit. No member listens, so nothing else runs on the server meanwhile.
 */
final class CommitRun {
  private static final long DEADLINE_SECONDS = 60;

  /** The figures: the group's size and stored state, the commits of the window and their latency. */
  record Result(int members, int stateBytes, Duration registration, Duration setup, long commits, Duration window,
                Histogram latencyMicros, long writtenBytes) {
    double perSecond() {
      return commits / (window.toNanos() / 1e9);
    }
  }

  private final Plan plan;
  private final Connections connections;
  private final Progress progress;

  CommitRun(Plan plan, Connections connections, Progress progress) {
    this.plan = plan;
    this.connections = connections;
    this.progress = progress;
  }

  Result run() throws Exception {
    long start = System.nanoTime();
    List<SimulatedClient> clients = progress.step("registering " + plan.clients() + " clients",
        () -> new Registrations(connections, MessageRun.SETUP_PARALLELISM).register(plan.clients()));
    Duration registration = since(start);
    start = System.nanoTime();
    BenchGroup group = progress.step("creating one group of " + clients.size(),
        () -> GroupSetup.create(clients, clients.size(), 1).getFirst());
    Duration setup = since(start);

    progress.step("warming up for " + Progress.seconds(plan.warmup()),
        () -> commitFor(group, plan.warmup(), null, new LongAdder()));
    Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(DEADLINE_SECONDS), 3);
    start = System.nanoTime();
    LongAdder written = new LongAdder();
    long commits = progress.step("committing for " + Progress.seconds(plan.duration()),
        () -> commitFor(group, plan.duration(), latency, written));
    Duration window = since(start);
    return new Result(clients.size(), group.mls().state().toBytes().length, registration, setup, commits, window,
        latency, written.sum());
  }

  /**
   * Members commit in turn, leaf order, until {@code duration} has passed; the number of commits.
   * {@code written} adds up what the server stores of each new state: its head and changed nodes.
   */
  private static long commitFor(BenchGroup group, Duration duration, Histogram latency, LongAdder written) {
    TestGroup mls = group.mls();
    long end = System.nanoTime() + duration.toNanos();
    long commits = 0;
    while (System.nanoTime() < end) {
      SimulatedClient committer = group.members().get((int) (mls.epoch() % group.members().size()));
      TestGroup.Pending commit = mls.commit(committer.member());
      SendRequest request = SendRequest.newBuilder()
          .setCommitBundle(CommitBundle.newBuilder()
              .setCommit(ByteString.copyFrom(commit.commit()))
              .setGroupInfo(ByteString.copyFrom(commit.groupInfo())))
          .setIdempotencyKey(UUID.randomUUID().toString())
          .build();
      long sent = System.nanoTime();
      committer.delivery().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).send(request);
      if (latency != null) {
        latency.recordValue(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - sent));
      }
      PublicGroupState before = mls.state();
      mls.apply(commit);
      PublicGroupState after = mls.state();
      written.add(after.storedHead().length
          + after.nodesChangedSince(before).set().values().stream().mapToInt(n -> n.length).sum());
      commits++;
    }
    return commits;
  }

  private static Duration since(long start) {
    return Duration.ofNanos(System.nanoTime() - start);
  }
}
