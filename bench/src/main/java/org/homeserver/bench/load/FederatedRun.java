package org.homeserver.bench.load;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesResponse;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesRequest;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.MlsMessage;

/**
 * federated-one-to-one: 1:1 chats between a client of the hub (a.test) and a client of the follower
 * (b.test), each group hosted by the hub, beside as many local 1:1 chats on the hub. Three phases of
 * one sender per chat for the warm-up and the window: local (a to a), closed loop; federated to the
 * follower (a's client Sends to a, the hub hands it to its outbox for b, b queues for its client) at
 * {@code fanOutRate} messages/s in all, since the hub accepts Sends far faster than its outbox
 * delivers them to b and a closed loop would only measure the queue in between; federated from the
 * follower (b's client Sends to b, b relays to the hub, the hub queues for a's client), closed loop. Every
 * message is timed from its Send (when it was due, open loop) to its arrival over the receiver's
 * Listen stream.
 */
final class FederatedRun {
  /** How long a target waits for a request from the other homeserver to reach its own. */
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(60);
  /** How long the follower's clients may wait for the Welcomes the hub sends them... */
  private static final Duration WELCOME_TIMEOUT = Duration.ofMinutes(2);
  /** ... unless none arrived for this long. */
  private static final Duration WELCOME_QUIET = Duration.ofSeconds(30);
  private static final String USERS = "chat";
  /** KeyPackages each follower client publishes: one to be claimed, one left as its last. */
  private static final int PUBLISHED = 2;
  private static final long DEADLINE_SECONDS = 60;
  /** After each phase, until the streams were quiet this long: the next phase starts behind no backlog. */
  private static final Duration SETTLE = Duration.ofSeconds(3);

  /** The three phases' figures, with what set-up took and what went wrong on the streams. */
  record Result(Duration registration, Duration groupSetup, MessageRun.Phase local, MessageRun.Phase fromFollower,
                double fanOutRate, MessageRun.Phase toFollower, Map<Status.Code, Long> streamsEnded, long ackFailures) {}

  private final Plan plan;
  private final Connections hub;
  private final Connections follower;
  private final Progress progress;
  private final double fanOutRate;

  FederatedRun(Plan plan, Connections hub, Connections follower, double fanOutRate, Progress progress) {
    this.plan = plan;
    this.fanOutRate = fanOutRate;
    this.hub = hub;
    this.follower = follower;
    this.progress = progress;
  }

  Result run() throws Exception {
    int pairs = plan.groups();
    long start = System.nanoTime();
    // One client per user, as in a chat between two people; the local chats' users come first.
    List<SimulatedClient> local = progress.step("registering " + 2 * pairs + " clients for the local chats on "
        + FederatedServers.HUB, () -> register(hub, FederatedServers.HUB, 2 * pairs, "local", 0));
    List<SimulatedClient> hubSide = progress.step("registering " + pairs + " clients on " + FederatedServers.HUB,
        () -> register(hub, FederatedServers.HUB, pairs, USERS, 2 * pairs));
    List<SimulatedClient> followerSide = progress.step("registering " + pairs + " clients on "
        + FederatedServers.FOLLOWER, () -> register(follower, FederatedServers.FOLLOWER, pairs, USERS, 0));
    Duration registration = since(start);

    List<SimulatedClient> everyone = Stream.of(local, hubSide, followerSide).flatMap(List::stream).toList();
    try (Listeners listeners = progress.step("opening " + everyone.size() + " Listen streams",
        () -> MessageRun.openListeners(everyone))) {
      start = System.nanoTime();
      List<BenchGroup> localGroups = progress.step("creating " + pairs + " local groups of 2 on "
          + FederatedServers.HUB, () -> GroupSetup.create(local, 2, MessageRun.SETUP_PARALLELISM));
      List<BenchGroup> federatedGroups = progress.step("connecting " + pairs + " users of " + FederatedServers.HUB
          + " with one of " + FederatedServers.FOLLOWER + " each and creating their groups on "
          + FederatedServers.HUB, () -> Concurrently.map(IntStream.range(0, pairs).boxed().toList(),
          MessageRun.SETUP_PARALLELISM, i -> federatedGroup(hubSide.get(i), followerSide.get(i))));
      // Every second member got a Welcome: the follower's clients through federation.
      long welcomes = 2L * pairs;
      progress.step("waiting for the Welcomes of " + FederatedServers.FOLLOWER + "'s clients", () -> {
        MessageRun.awaitArrivals(listeners::welcomes, welcomes, WELCOME_TIMEOUT, WELCOME_QUIET);
        return null;
      });
      if (listeners.welcomes() < welcomes) {
        throw new IllegalStateException("only " + listeners.welcomes() + " of " + welcomes + " Welcomes arrived");
      }
      Duration groupSetup = since(start);

      MessageRun.Phase localPhase = phase("local, " + FederatedServers.HUB + " to " + FederatedServers.HUB,
          new Pacing.Closed(), listeners, Senders.choose(localGroups, plan.senders()));
      // To the follower before from it: the hub also hands b every message b's clients send (b's copy
      // of the log), which b queues for no one, so no client sees when that backlog is gone.
      MessageRun.Phase toFollower = phase("federated, " + FederatedServers.HUB + " to " + FederatedServers.FOLLOWER,
          new Pacing.Open(fanOutRate), listeners, Senders.choose(federatedGroups, plan.senders()));
      MessageRun.Phase fromFollower = phase("federated, " + FederatedServers.FOLLOWER + " to " + FederatedServers.HUB,
          new Pacing.Closed(), listeners, federatedGroups.subList(0, plan.senders()).stream()
              .map(g -> new Senders.Sender(g.members().get(1), g)).toList());
      return new Result(registration, groupSetup, localPhase, fromFollower, fanOutRate, toFollower, listeners.ended(),
          listeners.ackFailures());
    }
  }

  private MessageRun.Phase phase(String name, Pacing pacing, Listeners listeners, List<Senders.Sender> senders)
      throws Exception {
    progress.say("phase: " + name + ", " + senders.size() + " senders, " + switch (pacing) {
      case Pacing.Open(double rate) -> rate + " messages/s in all";
      case Pacing.Closed() -> "closed loop";
    });
    return MessageRun.measure(plan, pacing, listeners, new Senders(senders, plan.messageBytes()), 1, SETTLE, progress);
  }

  private static List<SimulatedClient> register(Connections connections, String domain, int count, String prefix,
      int firstIndex) throws InterruptedException {
    return new Registrations(connections, MessageRun.SETUP_PARALLELISM, domain).register(count, 1, prefix, firstIndex);
  }

  /**
   * The follower's client publishes KeyPackages; the hub's client asks it for a connection, which it
   * accepts once the request reached its homeserver; the hub's client claims one of its KeyPackages
   * through its own homeserver and creates the group with it.
   */
  private static BenchGroup federatedGroup(SimulatedClient hubClient, SimulatedClient followerClient) {
    followerClient.keyPackages().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).publishKeyPackages(
        PublishKeyPackagesRequest.newBuilder()
            .addAllKeyPackages(IntStream.range(0, PUBLISHED).mapToObj(i ->
                ByteString.copyFrom(TestKeyPackages.encodeAsMessage(followerClient.keyPackage()))).toList())
            .setIdempotencyKey(UUID.randomUUID().toString()).build());
    UserConnections.connectAcrossDomains(hubClient, followerClient, CONNECT_TIMEOUT);
    ClaimKeyPackagesResponse claimed = hubClient.keyPackages().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
        .claimKeyPackages(ClaimKeyPackagesRequest.newBuilder().setUserId(followerClient.userId())
            .setCipherSuite(SimulatedClient.SUITE.code()).setIdempotencyKey(UUID.randomUUID().toString()).build());
    if (claimed.getKeyPackagesCount() != 1) {
      throw new IllegalStateException(hubClient.userId() + " claimed " + claimed.getKeyPackagesCount()
          + " KeyPackages of " + followerClient.userId() + ", not 1");
    }
    KeyPackage keyPackage = decode(claimed.getKeyPackages(0).getKeyPackage());
    return GroupSetup.build(List.of(hubClient, followerClient), client -> keyPackage);
  }

  private static KeyPackage decode(ByteString keyPackage) {
    try {
      return switch (MlsMessage.decode(keyPackage.toByteArray()).body()) {
        case MlsMessage.KeyPackageBody body -> body.keyPackage();
        default -> throw new IllegalStateException("a claimed KeyPackage is another MLS message");
      };
    } catch (MlsDecodeException e) {
      throw new IllegalStateException("a claimed KeyPackage does not decode: " + e.getMessage(), e);
    }
  }

  private static Duration since(long start) {
    return Duration.ofNanos(System.nanoTime() - start);
  }
}
