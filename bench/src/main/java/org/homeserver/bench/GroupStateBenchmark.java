package org.homeserver.bench;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.TestKeyPackages.SigningKey;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.group.GroupStateException;
import org.homeserver.mls.group.PublicGroupState;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What a filtering Delivery Service pays per commit to follow a group's public state
 * ({@link PublicGroupState}), by group size: accepting a commit with an UpdatePath and no proposals
 * (signature, leaf signature, parent hashes, new tree hash), accepting a commit that adds one member
 * (its KeyPackage validated, no path), storing what the update-path commit changed (the state's head
 * and the nodes it set, as the Delivery Service writes them) and loading a state from its stored
 * parts (what a process without the state cached does). The group
 * is built by {@link TestGroup}: all members added by one commit, then a commit with a path by the
 * creator, so parent nodes are populated as in a group in use. Each leaf carries an X.509 credential
 * of 1,000 bytes, the size of the homeserver's certificate chains (the state stores it unparsed).
 * The setup prints the stored state's size and what an update-path commit stores.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// Bouncy Castle's curve arithmetic takes seconds to reach full speed: warm up as ValidationBenchmark does.
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Benchmark)
public class GroupStateBenchmark {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final int CERTIFICATE_CHAIN_BYTES = 1000;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Members of the group. */
  @Param({"2", "100", "1000"})
  public int members;

  private KeyPackageValidator keyPackages;
  private PublicGroupState state;
  private PublicGroupState.StoredParts stored;
  private PublicGroupState afterUpdatePath;
  private PublicMessage updatePathCommit;
  private PublicMessage addCommit;

  @Setup
  public void build() throws GroupStateException, MlsDecodeException {
    Instant now = Instant.now();
    keyPackages = new KeyPackageValidator(EnumSet.allOf(CipherSuite.class), Duration.ofMinutes(5), Clock.systemUTC());
    List<TestGroup.Member> clients = IntStream.range(0, members).mapToObj(i -> member()).toList();
    TestGroup group = TestGroup.create(SUITE, random(16), clients.getFirst(), now);
    group.apply(group.commit(clients.getFirst(), clients.subList(1, members).stream()
        .map(m -> new Proposal.Add(TestKeyPackages.create(SUITE, m.credential(), m.key(), now)))
        .toArray(Proposal[]::new)));
    group.apply(group.commit(clients.getFirst()));

    // The state as the server holds it: loaded from its stored parts.
    stored = group.state().toStoredParts();
    state = PublicGroupState.fromStoredParts(stored, keyPackages);
    updatePathCommit = decoded(group.commit(clients.getLast()).commit());
    TestGroup.Member joiner = member();
    addCommit = decoded(group.commit(clients.getLast(),
        new Proposal.Add(TestKeyPackages.create(SUITE, joiner.credential(), joiner.key(), now))).commit());
    // A benchmark of the refusal path would measure nothing useful: fail the run instead.
    afterUpdatePath = state.withCommit(updatePathCommit);
    state.withCommit(addCommit);
    PublicGroupState.NodeChanges changes = afterUpdatePath.nodesChangedSince(state);
    System.out.printf("%n%d members: stored state %,d bytes; an update-path commit stores %,d (head %,d, %d nodes)%n",
        members, stored.size(), afterUpdatePath.storedHead().length
            + changes.set().values().stream().mapToInt(n -> n.length).sum(),
        afterUpdatePath.storedHead().length, changes.set().size());
  }

  @Benchmark
  public PublicGroupState updatePathCommit() throws GroupStateException {
    return state.withCommit(updatePathCommit);
  }

  @Benchmark
  public PublicGroupState addCommit() throws GroupStateException {
    return state.withCommit(addCommit);
  }

  /** What the Delivery Service writes after the update-path commit: the head and the nodes it changed. */
  @Benchmark
  public PublicGroupState.NodeChanges storeCommit(Blackhole head) {
    head.consume(afterUpdatePath.storedHead());
    return afterUpdatePath.nodesChangedSince(state);
  }

  /** What a process without a cached copy reads: the state from its stored parts, every tree hash recomputed. */
  @Benchmark
  public PublicGroupState load() throws MlsDecodeException {
    return PublicGroupState.fromStoredParts(stored, keyPackages);
  }

  private static TestGroup.Member member() {
    return new TestGroup.Member(SigningKey.generate(SUITE.signatureScheme()),
        new Credential.X509(List.of(random(CERTIFICATE_CHAIN_BYTES))));
  }

  private static PublicMessage decoded(byte[] message) throws MlsDecodeException {
    return (PublicMessage) MlsMessage.decode(message).body();
  }

  private static byte[] random(int length) {
    byte[] bytes = new byte[length];
    RANDOM.nextBytes(bytes);
    return bytes;
  }
}
