package org.homeserver.bench.load;

import com.google.protobuf.ByteString;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.homeserver.api.delivery.v1.CommitBundle;
import org.homeserver.api.delivery.v1.CreateGroupRequest;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.TestMessages;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.Proposal;

/**
 * Builds the run's groups through the API as clients would, with real MLS messages ({@link TestGroup}):
 * the first member creates the group (leaf 0) from a signed GroupInfo and ratchet tree of epoch 0 and
 * adds the others by signed commits carrying their real KeyPackages (x509 credentials from the
 * Authentication Service) with a Welcome naming them, {@link #ADDS_PER_COMMIT} at a time so a commit
 * stays well under the 1 MiB an MLSMessage may have. The creator's user first connects
 * with every other user of the group, as the Delivery Service lets a member add only those.
 */
final class GroupSetup {
  static final int ADDS_PER_COMMIT = 100;
  private static final int GROUP_ID_BYTES = 16;
  private static final long DEADLINE_SECONDS = 120;

  private GroupSetup() {}

  /** Groups of {@code size} consecutive clients, {@code parallelism} of them set up at a time. */
  static List<BenchGroup> create(List<SimulatedClient> clients, int size, int parallelism) throws InterruptedException {
    List<List<SimulatedClient>> memberships = IntStream.range(0, clients.size() / size)
        .mapToObj(g -> clients.subList(g * size, (g + 1) * size)).toList();
    return Concurrently.map(memberships, parallelism, GroupSetup::create);
  }

  private static BenchGroup create(List<SimulatedClient> members) {
    SimulatedClient creator = members.getFirst();
    UserConnections.firstOfEachUser(members).stream().filter(m -> !m.userId().equals(creator.userId()))
        .forEach(other -> UserConnections.connect(creator, other));
    return build(members, SimulatedClient::keyPackage);
  }

  /**
   * The group of {@code members}, created by the first, whose user must already be connected with
   * (or have asked for a connection with) every other member's user, adding each other member with
   * {@code keyPackageOf} it: a fresh one made here, or one the creator claimed (which a member of
   * another homeserver needs: its homeserver takes a Welcome only for a KeyPackage the group's claimed).
   */
  static BenchGroup build(List<SimulatedClient> members, Function<SimulatedClient, KeyPackage> keyPackageOf) {
    SimulatedClient creator = members.getFirst();
    TestGroup group = TestGroup.create(SimulatedClient.SUITE, TestMessages.random(GROUP_ID_BYTES), creator.member(),
        Instant.now());
    long epoch = creator.delivery().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
        .createGroup(CreateGroupRequest.newBuilder()
            .setGroupId(ByteString.copyFrom(group.groupId()))
            .setCipherSuite(SimulatedClient.SUITE.code())
            .setGroupInfo(ByteString.copyFrom(group.groupInfo()))
            .setRatchetTree(ByteString.copyFrom(group.ratchetTree()))
            .setIdempotencyKey(UUID.randomUUID().toString())
            .build())
        .getGroup().getEpoch();
    List<SimulatedClient> others = members.subList(1, members.size());
    for (int from = 0; from < others.size(); from += ADDS_PER_COMMIT) {
      epoch = add(creator, group, others.subList(from, Math.min(others.size(), from + ADDS_PER_COMMIT)), keyPackageOf);
    }
    return new BenchGroup(group.groupId(), List.copyOf(members), epoch, group);
  }

  /** Commits the Add of {@code added} and moves {@code group} on; returns the new epoch. */
  private static long add(SimulatedClient committer, TestGroup group, List<SimulatedClient> added,
      Function<SimulatedClient, KeyPackage> keyPackageOf) {
    Proposal[] adds = added.stream().map(c -> new Proposal.Add(keyPackageOf.apply(c))).toArray(Proposal[]::new);
    TestGroup.Pending commit = group.commit(committer.member(), adds);
    long epoch = committer.delivery().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
        .send(SendRequest.newBuilder()
            .setCommitBundle(CommitBundle.newBuilder()
                .setCommit(ByteString.copyFrom(commit.commit()))
                .setWelcome(ByteString.copyFrom(commit.welcome())))
            .setIdempotencyKey(UUID.randomUUID().toString())
            .build())
        .getEpoch();
    group.apply(commit);
    return epoch;
  }
}
