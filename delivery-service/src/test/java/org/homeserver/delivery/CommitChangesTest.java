package org.homeserver.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.homeserver.delivery.MemberMap.Change;
import org.homeserver.delivery.MembershipException.Reason;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.Commit.ByReference;
import org.homeserver.mls.message.Commit.ByValue;
import org.homeserver.mls.message.Commit.ProposalOrRef;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.Sender;
import org.junit.jupiter.api.Test;

class CommitChangesTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final Function<byte[], Optional<Proposal>> NONE_ACCEPTED = ref -> Optional.empty();

  // Stands in for the X.509 parsing: the test KeyPackages carry basic credentials naming the client.
  private final CommitChanges commitChanges = new CommitChanges(kp -> new String(
      ((Credential.Basic) kp.leafNode().credential()).identity(), StandardCharsets.UTF_8));

  private static Proposal add(String client) {
    return new Proposal.Add(keyPackage(client));
  }

  private static KeyPackage keyPackage(String client) {
    return TestKeyPackages.create(SUITE, client, Instant.now());
  }

  private static Commit commit(ProposalOrRef... proposals) {
    return new Commit(List.of(proposals), Optional.empty());
  }

  private static Commit externalCommit(Proposal... proposals) {
    var path = new Commit.UpdatePath(keyPackage("joiner").leafNode(), List.of());
    return new Commit(List.of(proposals).stream().<ProposalOrRef>map(ByValue::new).toList(), Optional.of(path));
  }

  @Test
  void addsAndRemovesByValueBecomeChangesNamingTheKeyPackagesClient() throws MembershipException {
    List<Change> changes = commitChanges.of(commit(new ByValue(add("carol")), new ByValue(new Proposal.Remove(1)),
        new ByValue(new Proposal.GroupContextExtensions(List.of()))), new Sender.Member(0), "alice", NONE_ACCEPTED);

    assertEquals(List.of(new MemberMap.Add("carol"), new MemberMap.Remove(1)), changes);
    MemberMap group = MemberMap.create("alice").apply(List.of(new MemberMap.Add("bob")));
    assertEquals(List.of(new MemberMap.Member(0, "alice"), new MemberMap.Member(1, "carol")),
        group.apply(changes).members());
  }

  @Test
  void aProposalByReferenceIsResolvedThroughTheAcceptedProposals() throws MembershipException {
    byte[] removeBob = {1, 2, 3};
    byte[] updateByBob = {4, 5, 6};
    Map<String, Proposal> accepted = Map.of(
        HexFormat.of().formatHex(removeBob), new Proposal.Remove(1),
        HexFormat.of().formatHex(updateByBob), new Proposal.Update(keyPackage("bob").leafNode()));
    Function<byte[], Optional<Proposal>> lookup = ref -> Optional.ofNullable(accepted.get(HexFormat.of().formatHex(ref)));

    List<Change> changes = commitChanges.of(commit(new ByReference(updateByBob), new ByReference(removeBob),
        new ByValue(add("dave"))), new Sender.Member(0), "alice", lookup);

    assertEquals(List.of(new MemberMap.Update(), new MemberMap.Remove(1), new MemberMap.Add("dave")), changes);
  }

  @Test
  void anUnknownReferenceIsRefused() {
    var e = assertThrows(MembershipException.class, () -> commitChanges.of(commit(new ByReference(new byte[] {9})),
        new Sender.Member(0), "alice", NONE_ACCEPTED));
    assertEquals(Reason.UNKNOWN_PROPOSAL, e.reason());
  }

  @Test
  void theCommitterCannotRemoveItselfNorSendItsOwnUpdateByValue() {
    var remove = assertThrows(MembershipException.class, () -> commitChanges.of(
        commit(new ByValue(new Proposal.Remove(2))), new Sender.Member(2), "carol", NONE_ACCEPTED));
    assertEquals(Reason.INVALID_PROPOSAL_LIST, remove.reason());
    var update = assertThrows(MembershipException.class, () -> commitChanges.of(
        commit(new ByValue(new Proposal.Update(keyPackage("carol").leafNode()))), new Sender.Member(2), "carol",
        NONE_ACCEPTED));
    assertEquals(Reason.INVALID_PROPOSAL_LIST, update.reason());
  }

  @Test
  void aMemberCommitCannotCarryExternalInit() {
    var e = assertThrows(MembershipException.class, () -> commitChanges.of(
        commit(new ByValue(new Proposal.ExternalInit(new byte[32]))), new Sender.Member(0), "alice", NONE_ACCEPTED));
    assertEquals(Reason.INVALID_PROPOSAL_LIST, e.reason());
  }

  @Test
  void anExternalCommitWithAResyncRemoveRejoinsTheAuthenticatedClient() throws MembershipException {
    MemberMap group = MemberMap.create("alice").apply(List.of(new MemberMap.Add("bob"), new MemberMap.Add("carol")));

    List<Change> changes = commitChanges.of(externalCommit(new Proposal.ExternalInit(new byte[32]),
        new Proposal.Remove(1)), new Sender.NewMemberCommit(), "bob", NONE_ACCEPTED);

    assertEquals(List.of(new MemberMap.Remove(1), new MemberMap.ExternalJoin("bob")), changes);
    MemberMap after = group.apply(changes);
    assertEquals(Optional.of("bob"), after.occupant(1));
    assertEquals(group, after);
  }

  @Test
  void anExternalCommitWithoutResyncJoinsAtTheLeftmostBlankLeaf() throws MembershipException {
    MemberMap group = MemberMap.create("alice").apply(List.of(new MemberMap.Add("bob"), new MemberMap.Add("carol")));

    List<Change> changes = commitChanges.of(externalCommit(new Proposal.ExternalInit(new byte[32])),
        new Sender.NewMemberCommit(), "dave", NONE_ACCEPTED);

    assertEquals(Optional.of("dave"), group.apply(changes).occupant(3));
  }

  @Test
  void malformedExternalCommitsAreRefused() {
    var init = new Proposal.ExternalInit(new byte[32]);
    List<Commit> bad = List.of(
        externalCommit(),
        externalCommit(init, init),
        externalCommit(init, new Proposal.Remove(1), new Proposal.Remove(2)),
        externalCommit(init, add("eve")),
        new Commit(List.of(new ByValue(init)), Optional.empty()),
        new Commit(List.of(new ByValue(init), new ByReference(new byte[] {1})),
            externalCommit(init).path()));
    for (Commit commit : bad) {
      var e = assertThrows(MembershipException.class,
          () -> commitChanges.of(commit, new Sender.NewMemberCommit(), "dave", NONE_ACCEPTED), commit.toString());
      assertEquals(Reason.INVALID_PROPOSAL_LIST, e.reason());
    }
  }

  @Test
  void onlyMembersAndNewMembersCanCommit() {
    for (Sender sender : List.of(new Sender.External(0), new Sender.NewMemberProposal())) {
      var e = assertThrows(MembershipException.class,
          () -> commitChanges.of(commit(new ByValue(add("eve"))), sender, "eve", NONE_ACCEPTED));
      assertEquals(Reason.INVALID_PROPOSAL_LIST, e.reason());
    }
  }
}
