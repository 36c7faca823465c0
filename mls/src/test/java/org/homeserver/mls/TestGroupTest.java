package org.homeserver.mls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.homeserver.mls.TestGroup.Member;
import org.homeserver.mls.TestGroup.Pending;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.group.GroupRule;
import org.homeserver.mls.group.GroupStateException;
import org.homeserver.mls.group.PublicGroupState;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.message.Sender;
import org.homeserver.mls.message.Welcome;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every message a {@link TestGroup} builds is one a server following the group accepts: a
 * {@link PublicGroupState} started from the GroupInfo and tree of epoch 0, as a server is, follows
 * each commit, and each new epoch's GroupInfo verifies against the new tree, carries the new
 * GroupContext and gives a joiner the same state.
 */
class TestGroupTest {
  private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
  private static final CipherSuite X25519 = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final KeyPackageValidator KEY_PACKAGES = new KeyPackageValidator(EnumSet.allOf(CipherSuite.class),
      Duration.ZERO, Clock.fixed(NOW, ZoneOffset.UTC));

  /** A server's view of the group: only the bytes the test group hands out. */
  private static final class Server {
    private PublicGroupState state;

    Server(byte[] groupInfo, byte[] ratchetTree) throws Exception {
      state = PublicGroupState.fromGroupInfo(groupInfo(groupInfo), Optional.of(tree(ratchetTree)), KEY_PACKAGES);
    }

    void proposal(byte[] message) throws Exception {
      state = state.withProposal(publicMessage(message));
    }

    /** Follows {@code pending}, applies it to {@code group}, and checks the new GroupInfo as a joiner would. */
    void commit(TestGroup group, Pending pending) throws Exception {
      long epoch = state.epoch();
      state = state.withCommit(publicMessage(pending.commit()));
      assertEquals(epoch + 1, state.epoch());
      group.apply(pending);
      assertArrayEquals(group.state().toBytes(), state.toBytes(), "the test group's state is the server's");
      GroupInfo info = groupInfo(pending.groupInfo());
      assertArrayEquals(state.groupContext().toBytes(), info.groupContext().toBytes());
      PublicGroupState joiner = PublicGroupState.fromGroupInfo(info, Optional.of(tree(group.ratchetTree())),
          KEY_PACKAGES);
      assertArrayEquals(state.toBytes(), joiner.toBytes(), "a joiner from the new GroupInfo has the server's state");
    }
  }

  private static Server server(TestGroup group) throws Exception {
    return new Server(group.groupInfo(), group.ratchetTree());
  }

  private static KeyPackage keyPackage(CipherSuite suite, Member member) {
    return TestKeyPackages.create(suite, member.credential(), member.key(), NOW);
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void epochZeroIsTheCreatorAloneSignedAtLeafZero(CipherSuite suite) throws Exception {
    Member alice = Member.generate(suite, "alice");
    TestGroup group = TestGroup.create(suite, TestMessages.random(16), alice, NOW);
    GroupInfo info = groupInfo(group.groupInfo());
    assertEquals(0, info.groupContext().epoch());
    assertEquals(0, info.signer());
    assertEquals(0, info.groupContext().confirmedTranscriptHash().length, "RFC 9420 section 11: empty at epoch 0");
    assertEquals(suite.hashLength(), info.confirmationTag().length);
    assertEquals(1, tree(group.ratchetTree()).nodes().size());
    assertArrayEquals(server(group).state.toBytes(), group.state().toBytes());
    assertEquals(0, group.leafOf(alice));
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aChainOfEpochsIsFollowedByAServer(CipherSuite suite) throws Exception {
    Member alice = Member.generate(suite, "alice");
    Member bob = Member.generate(suite, "bob");
    Member carol = Member.generate(suite, "carol");
    Member dave = Member.generate(suite, "dave");
    Member erin = Member.generate(suite, "erin");
    TestGroup group = TestGroup.create(suite, TestMessages.random(16), alice, NOW);
    Server server = server(group);

    server.commit(group, group.commit(alice, new Proposal.Add(keyPackage(suite, bob)),
        new Proposal.Add(keyPackage(suite, carol))));
    server.commit(group, group.commit(bob));
    server.commit(group, group.commit(carol, new Proposal.Add(keyPackage(suite, dave))));
    // Dave is an unmerged leaf of the parents above him until he commits.
    server.commit(group, group.commit(alice, new Proposal.Remove(group.leafOf(bob))));
    server.commit(group, group.commit(dave, new Proposal.Add(keyPackage(suite, erin)),
        new Proposal.Add(keyPackage(suite, bob))));
    server.commit(group, group.commitWithPath(erin, new Proposal.Remove(group.leafOf(carol))));
    server.commit(group, group.externalJoin(carol, OptionalInt.empty()));
    assertEquals(7, group.epoch());
    for (Member m : List.of(alice, bob, carol, dave, erin)) {
      group.leafOf(m);
    }
  }

  @Test
  void anAddOnlyCommitHasNoPathAndItsWelcomeNamesTheAdded() throws Exception {
    Member alice = Member.generate(X25519, "alice");
    KeyPackage bob = keyPackage(X25519, Member.generate(X25519, "bob"));
    KeyPackage carol = keyPackage(X25519, Member.generate(X25519, "carol"));
    TestGroup group = TestGroup.create(X25519, TestMessages.random(16), alice, NOW);
    Pending add = group.commit(alice, new Proposal.Add(bob), new Proposal.Add(carol));
    assertTrue(commitOf(add).path().isEmpty());
    Welcome welcome = (Welcome) MlsMessage.decode(add.welcome()).body();
    assertEquals(2, welcome.secrets().size());
    assertArrayEquals(TestMessages.keyPackageRef(X25519, bob), welcome.secrets().get(0).newMember());
    assertArrayEquals(TestMessages.keyPackageRef(X25519, carol), welcome.secrets().get(1).newMember());
    server(group).commit(group, add);
    assertNull(group.commit(alice).welcome(), "nothing added, no Welcome");
  }

  /**
   * A path's nodes each carry one ciphertext per node of the copath child's resolution, leaves the
   * commit adds left out (RFC 9420 section 12.4.1): alice's path in a tree of bob, carol and dave
   * encrypts to bob, then to carol and dave; with erin added at leaf 4, the root's copath child holds
   * only her, so the root gets none.
   */
  @Test
  void aPathEncryptsToTheCopathResolutionWithoutTheLeavesItAdds() throws Exception {
    Member alice = Member.generate(X25519, "alice");
    TestGroup group = TestGroup.create(X25519, TestMessages.random(16), alice, NOW);
    Server server = server(group);
    server.commit(group, group.commit(alice, new Proposal.Add(keyPackage(X25519, Member.generate(X25519, "bob"))),
        new Proposal.Add(keyPackage(X25519, Member.generate(X25519, "carol"))),
        new Proposal.Add(keyPackage(X25519, Member.generate(X25519, "dave")))));

    Pending empty = group.commit(alice);
    assertEquals(List.of(1, 2), ciphertextsPerNode(empty));
    server.commit(group, empty);

    Pending addErin = group.commitWithPath(alice, new Proposal.Add(keyPackage(X25519, Member.generate(X25519, "erin"))));
    assertEquals(List.of(1, 2, 0), ciphertextsPerNode(addErin));
    server.commit(group, addErin);
    assertEquals(8, group.state().tree().leafCount());
  }

  @ParameterizedTest
  @EnumSource(value = CipherSuite.class, names = {"MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
      "MLS_128_DHKEMP256_AES128GCM_SHA256_P256"})
  void proposalsAreCommittedByReference(CipherSuite suite) throws Exception {
    Member alice = Member.generate(suite, "alice");
    Member bob = Member.generate(suite, "bob");
    Member carol = Member.generate(suite, "carol");
    TestGroup group = TestGroup.create(suite, TestMessages.random(16), alice, NOW);
    Server server = server(group);
    server.commit(group, group.commit(alice, new Proposal.Add(keyPackage(suite, bob)),
        new Proposal.Add(keyPackage(suite, carol))));

    byte[] update = group.update(bob);
    KeyPackage dave = keyPackage(suite, Member.generate(suite, "dave"));
    byte[] addDave = group.proposal(carol, new Proposal.Add(dave));
    byte[] removeCarol = group.proposal(bob, new Proposal.Remove(group.leafOf(carol)));
    for (byte[] proposal : List.of(update, addDave, removeCarol)) {
      server.proposal(proposal);
      group.accept(proposal);
    }
    Pending commit = group.commit(alice, List.of(new Commit.ByReference(group.ref(update)),
        new Commit.ByReference(group.ref(addDave)), new Commit.ByReference(group.ref(removeCarol))));
    assertTrue(commitOf(commit).path().isPresent());
    assertArrayEquals(TestMessages.keyPackageRef(suite, dave),
        ((Welcome) MlsMessage.decode(commit.welcome()).body()).secrets().getFirst().newMember());
    server.commit(group, commit);
    assertEquals(2, group.leafOf(dave.leafNode().signatureKey()), "dave takes carol's leaf, the leftmost blank");
  }

  @Test
  void anExternalJoinerMayRemoveItsOldLeaf() throws Exception {
    Member alice = Member.generate(X25519, "alice");
    Member bob = Member.generate(X25519, "bob");
    Member bobAgain = Member.generate(X25519, "bob");
    TestGroup group = TestGroup.create(X25519, TestMessages.random(16), alice, NOW);
    Server server = server(group);
    server.commit(group, group.commit(alice, new Proposal.Add(keyPackage(X25519, bob))));
    server.commit(group, group.externalJoin(bobAgain, OptionalInt.of((int) group.leafOf(bob))));
    assertEquals(1, group.leafOf(bobAgain));
    assertThrows(IllegalArgumentException.class, () -> group.leafOf(bob));

    Member carol = Member.generate(X25519, "carol");
    server.commit(group, group.externalJoin(carol, OptionalInt.empty()));
    assertEquals(2, group.leafOf(carol));
  }

  @Test
  void competingCommitsAreBuiltAtOneEpochAndOnlyTheWinnerIsApplied() throws Exception {
    Member alice = Member.generate(X25519, "alice");
    Member bob = Member.generate(X25519, "bob");
    TestGroup group = TestGroup.create(X25519, TestMessages.random(16), alice, NOW);
    Server server = server(group);
    server.commit(group, group.commit(alice, new Proposal.Add(keyPackage(X25519, bob))));
    Pending byAlice = group.commit(alice);
    Pending byBob = group.commit(bob);
    server.commit(group, byBob);
    assertThrows(IllegalStateException.class, () -> group.apply(byAlice));
    GroupStateException stale = assertThrows(GroupStateException.class,
        () -> server.state.withCommit(byAlice.message()));
    assertEquals(GroupRule.FRAMING, stale.rule());
  }

  @Test
  void aCommitTheGroupRefusesIsStillSignedButCannotBeApplied() throws Exception {
    Member alice = Member.generate(X25519, "alice");
    Member bob = Member.generate(X25519, "bob");
    TestGroup group = TestGroup.create(X25519, TestMessages.random(16), alice, NOW);
    server(group).commit(group, group.commit(alice, new Proposal.Add(keyPackage(X25519, bob))));
    Server server = server(group);
    Pending removingItself = group.commit(alice, new Proposal.Remove(0));
    assertFalse(removingItself.next().isPresent());
    assertNull(removingItself.groupInfo());
    server.state.verify(removingItself.message());
    assertEquals(GroupRule.PROPOSAL, assertThrows(GroupStateException.class,
        () -> server.state.withCommit(removingItself.message())).rule());
    assertThrows(IllegalStateException.class, () -> group.apply(removingItself));
  }

  @Test
  void aReframedMessageIsSignedByItsSignerForTheFramingItNames() throws Exception {
    Member alice = Member.generate(X25519, "alice");
    Member bob = Member.generate(X25519, "bob");
    TestGroup group = TestGroup.create(X25519, TestMessages.random(16), alice, NOW);
    server(group).commit(group, group.commit(alice, new Proposal.Add(keyPackage(X25519, bob))));
    Server server = server(group);
    byte[] byAlice = group.commit(alice, new Proposal.Remove(1)).commit();

    byte[] bobAsAlice = group.reframed(byAlice, bob, new Sender.Member(0), group.epoch());
    assertEquals(GroupRule.SIGNATURE, assertThrows(GroupStateException.class,
        () -> server.state.verify(publicMessage(bobAsAlice))).rule());
    byte[] bobAsHimself = group.reframed(byAlice, bob, new Sender.Member(1), group.epoch());
    server.state.verify(publicMessage(bobAsHimself));
    byte[] stale = group.reframed(byAlice, alice, new Sender.Member(0), 0);
    assertEquals(GroupRule.FRAMING, assertThrows(GroupStateException.class,
        () -> server.state.verify(publicMessage(stale))).rule());
  }

  private static List<Integer> ciphertextsPerNode(Pending pending) {
    return commitOf(pending).path().orElseThrow().nodes().stream().map(n -> n.encryptedPathSecret().size()).toList();
  }

  private static Commit commitOf(Pending pending) {
    return ((FramedContent.CommitBody) pending.message().content().body()).commit();
  }

  private static GroupInfo groupInfo(byte[] message) throws MlsDecodeException {
    return (GroupInfo) MlsMessage.decode(message).body();
  }

  private static PublicMessage publicMessage(byte[] message) throws MlsDecodeException {
    return (PublicMessage) MlsMessage.decode(message).body();
  }

  private static RatchetTree tree(byte[] encoded) throws MlsDecodeException {
    return MlsReader.decodeAll(encoded, "ratchet_tree", RatchetTree::decode);
  }
}
