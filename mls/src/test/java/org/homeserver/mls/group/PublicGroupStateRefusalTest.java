package org.homeserver.mls.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.TestMessages;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.codec.MlsWriter;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.TestBytes;
import org.homeserver.mls.message.AuthenticatedContent;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.Extension;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.GroupContext;
import org.homeserver.mls.message.HpkeCiphertext;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.Sender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a {@link PublicGroupState} refuses, on the passive-client vectors' commits with one bit
 * flipped: each damage named by its rule, the state left as it was. The commit's signature covers
 * everything in it, so damage to its content as sent fails at {@link GroupRule#SIGNATURE}; to show
 * the rule the content breaks, the damaged content is also handed to the step after the signature
 * check, as if its committer had signed it (a server holds no committer's private key to re-sign).
 */
class PublicGroupStateRefusalTest {

  /** An epoch of a vector: the state before its commit (its proposals accepted) and the commit. */
  record Moment(PassiveClientVectorsTest.Case c, int epoch, PublicGroupState before, PublicMessage commit) {
    Commit body() {
      return ((FramedContent.CommitBody) commit.content().body()).commit();
    }

    PublicMessage withBody(Commit damaged) {
      FramedContent content = commit.content();
      return new PublicMessage(new FramedContent(content.groupId(), content.epoch(), content.sender(),
          content.authenticatedData(), new FramedContent.CommitBody(damaged)), commit.signature(),
          commit.confirmationTag(), commit.membershipTag());
    }

    /** The damaged commit refused: at the signature as sent, at {@code rule} after it. */
    GroupStateException refuse(Commit damaged, GroupRule rule) {
      PublicMessage message = withBody(damaged);
      assertEquals(GroupRule.SIGNATURE, assertThrows(GroupStateException.class, () -> before.withCommit(message))
          .rule());
      GroupStateException e = assertThrows(GroupStateException.class,
          () -> before.withAuthenticatedCommit(AuthenticatedContent.of(message)));
      assertEquals(rule, e.rule(), e.getMessage());
      return e;
    }

    void stillAcceptsTheOriginal() throws GroupStateException {
      assertEquals(before.epoch() + 1, before.withCommit(commit).epoch());
    }

    @Override
    public String toString() {
      return c + " epoch " + epoch;
    }
  }

  /** The first epoch in {@code suite}'s handling-commit cases whose commit matches {@code wanted}. */
  @SuppressWarnings("unchecked")
  static Moment first(CipherSuite suite, Predicate<Moment> wanted) throws Exception {
    for (PassiveClientVectorsTest.Case c : PassiveClientVectorsTest.commitCases()
        .filter(c -> c.suite() == suite).toList()) {
      PublicGroupState state = c.join();
      int i = 0;
      for (Map<String, Object> epoch : c.epochs()) {
        for (String hex : (List<String>) epoch.get("proposals")) {
          state = state.withProposal(publicMessage(hex));
        }
        Moment moment = new Moment(c, i++, state, publicMessage((String) epoch.get("commit")));
        if (wanted.test(moment)) {
          return moment;
        }
        state = state.withCommit(moment.commit());
      }
    }
    throw new AssertionError("no " + suite + " commit of that kind in the vectors");
  }

  private static PublicMessage publicMessage(String hex) throws Exception {
    return (PublicMessage) PassiveClientVectorsTest.message(TestVectors.hex(hex)).body();
  }

  private static boolean hasPath(Moment m) {
    return m.body().path().filter(p -> !p.nodes().isEmpty()).isPresent();
  }

  private static boolean addsByValue(Moment m) {
    return m.body().proposals().stream().anyMatch(p -> p instanceof Commit.ByValue(Proposal.Add a));
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void flippedBitInTheCommitsSignatureIsRefusedAtTheSignature(CipherSuite suite) throws Exception {
    Moment m = first(suite, m2 -> true);
    PublicMessage forged = new PublicMessage(m.commit().content(), TestBytes.flipBit(m.commit().signature(), 8 * 3),
        m.commit().confirmationTag(), m.commit().membershipTag());
    GroupStateException e = assertThrows(GroupStateException.class, () -> m.before().withCommit(forged));
    assertEquals(GroupRule.SIGNATURE, e.rule());
    assertTrue(e.getMessage().startsWith("SIGNATURE: the commit's signature does not verify"), e.getMessage());
    m.stillAcceptsTheOriginal();
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void flippedBitInTheUpdatePathLeafsEncryptionKeyBreaksItsLeafSignature(CipherSuite suite) throws Exception {
    Moment m = first(suite, PublicGroupStateRefusalTest::hasPath);
    Commit.UpdatePath path = m.body().path().orElseThrow();
    LeafNode l = path.leafNode();
    LeafNode damaged = new LeafNode(TestBytes.flipBit(l.encryptionKey(), 8 * 5 + 1), l.signatureKey(), l.credential(),
        l.capabilities(), l.source(), l.extensions(), l.signature());
    GroupStateException e = m.refuse(new Commit(m.body().proposals(),
        Optional.of(new Commit.UpdatePath(damaged, path.nodes()))), GroupRule.LEAF_NODE);
    assertTrue(e.detail().endsWith("new leaf node's signature does not verify"), e.getMessage());
    m.stillAcceptsTheOriginal();
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void flippedBitInAPathNodesPublicKeyBreaksTheParentHashChain(CipherSuite suite) throws Exception {
    Moment m = first(suite, PublicGroupStateRefusalTest::hasPath);
    Commit.UpdatePath path = m.body().path().orElseThrow();
    for (int i = 0; i < path.nodes().size(); i++) {
      List<Commit.UpdatePathNode> nodes = new ArrayList<>(path.nodes());
      Commit.UpdatePathNode node = nodes.get(i);
      nodes.set(i, new Commit.UpdatePathNode(TestBytes.flipBit(node.encryptionKey(), 8 * 7 + 2),
          node.encryptedPathSecret()));
      m.refuse(new Commit(m.body().proposals(), Optional.of(new Commit.UpdatePath(path.leafNode(), nodes))),
          GroupRule.PARENT_HASH);
    }
    m.stillAcceptsTheOriginal();
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void flippedBitInAnAddedKeyPackagesSignatureIsRefusedAsAnInvalidKeyPackage(CipherSuite suite) throws Exception {
    Moment m = first(suite, PublicGroupStateRefusalTest::addsByValue);
    List<Commit.ProposalOrRef> proposals = m.body().proposals().stream().map(p -> switch (p) {
      case Commit.ByValue(Proposal.Add(KeyPackage k)) -> (Commit.ProposalOrRef) new Commit.ByValue(new Proposal.Add(
          new KeyPackage(k.version(), k.cipherSuite(), k.initKey(), k.leafNode(), k.extensions(),
              TestBytes.flipBit(k.signature(), 8 * 4 + 6))));
      default -> p;
    }).toList();
    GroupStateException e = m.refuse(new Commit(proposals, m.body().path()), GroupRule.KEY_PACKAGE);
    assertTrue(e.detail().startsWith("SIGNATURE: the KeyPackage's signature does not verify"), e.getMessage());
    m.stillAcceptsTheOriginal();
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aStateWithAWrongTreeHashOrTranscriptHashFailsTheNextEpochsSignatures(CipherSuite suite) throws Exception {
    Moment m = first(suite, moment -> moment.epoch() == 1
        && moment.commit().content().sender() instanceof Sender.Member);
    GroupContext right = m.before().groupContext();
    for (GroupContext wrong : List.of(
        new GroupContext(right.version(), right.cipherSuite(), right.groupId(), right.epoch(),
            TestBytes.flipBit(right.treeHash(), 0), right.confirmedTranscriptHash(), right.extensions()),
        new GroupContext(right.version(), right.cipherSuite(), right.groupId(), right.epoch(), right.treeHash(),
            TestBytes.flipBit(right.confirmedTranscriptHash(), 0), right.extensions()))) {
      PublicGroupState off = new PublicGroupState(suite, wrong, m.before().interimTranscriptHash(), m.before().tree(),
          Map.of(), PassiveClientVectorsTest.KEY_PACKAGES);
      assertEquals(GroupRule.SIGNATURE, assertThrows(GroupStateException.class, () -> off.withCommit(m.commit()))
          .rule());
    }
    m.stillAcceptsTheOriginal();
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aReferenceToAProposalNotAcceptedInTheEpochIsRefused(CipherSuite suite) throws Exception {
    Moment m = first(suite, PublicGroupStateRefusalTest::hasPath);
    List<Commit.ProposalOrRef> proposals = new ArrayList<>(m.body().proposals());
    proposals.add(new Commit.ByReference(new byte[suite.hashLength()]));
    m.refuse(new Commit(proposals, m.body().path()), GroupRule.PROPOSAL_REFERENCE);
    m.stillAcceptsTheOriginal();
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aCommitThatRemovesItsCommitterIsAnInvalidProposalList(CipherSuite suite) throws Exception {
    Moment m = first(suite, PublicGroupStateRefusalTest::hasPath);
    long committer = ((Sender.Member) m.commit().content().sender()).leafIndex();
    List<Commit.ProposalOrRef> proposals = new ArrayList<>(m.body().proposals());
    proposals.add(new Commit.ByValue(new Proposal.Remove(committer)));
    GroupStateException e = m.refuse(new Commit(proposals, m.body().path()), GroupRule.PROPOSAL);
    assertEquals("the commit removes the committer", e.detail());
    m.stillAcceptsTheOriginal();
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aPathMissingWhereRequiredOrOfTheWrongLengthIsRefused(CipherSuite suite) throws Exception {
    Moment m = first(suite, PublicGroupStateRefusalTest::hasPath);
    Commit.UpdatePath path = m.body().path().orElseThrow();
    m.refuse(new Commit(List.of(), Optional.empty()), GroupRule.UPDATE_PATH);
    m.refuse(new Commit(m.body().proposals(), Optional.of(new Commit.UpdatePath(path.leafNode(),
        path.nodes().subList(1, path.nodes().size())))), GroupRule.UPDATE_PATH);
    m.stillAcceptsTheOriginal();
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aPathNodeWithAnEncryptedPathSecretMissingOrTooManyIsRefused(CipherSuite suite) throws Exception {
    Moment m = first(suite, moment -> hasPath(moment)
        && moment.body().path().get().nodes().stream().anyMatch(n -> !n.encryptedPathSecret().isEmpty()));
    Commit.UpdatePath path = m.body().path().orElseThrow();
    int i = 0;
    while (path.nodes().get(i).encryptedPathSecret().isEmpty()) {
      i++;
    }
    Commit.UpdatePathNode node = path.nodes().get(i);
    List<HpkeCiphertext> secrets = node.encryptedPathSecret();
    for (List<HpkeCiphertext> wrong : List.of(secrets.subList(1, secrets.size()),
        Stream.concat(secrets.stream(), Stream.of(secrets.getFirst())).toList())) {
      List<Commit.UpdatePathNode> nodes = new ArrayList<>(path.nodes());
      nodes.set(i, new Commit.UpdatePathNode(node.encryptionKey(), wrong));
      GroupStateException e = m.refuse(new Commit(m.body().proposals(), Optional.of(new Commit.UpdatePath(
          path.leafNode(), nodes))), GroupRule.UPDATE_PATH);
      assertTrue(e.detail().contains("carries " + wrong.size() + " encrypted path secrets"), e.getMessage());
    }
    m.stillAcceptsTheOriginal();
  }

  @Test
  void groupContextExtensionsEveryMemberDoesNotSupportAreRefused() throws Exception {
    CipherSuite suite = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
    TestGroup.Member alice = TestGroup.Member.generate(suite, "alice");
    TestGroup.Member bob = TestGroup.Member.generate(suite, "bob");
    TestGroup group = TestGroup.create(suite, TestMessages.random(16), alice, Instant.now());
    group.apply(group.commit(alice, new Proposal.Add(TestKeyPackages.create(suite, bob.credential(), bob.key(),
        Instant.now()))));
    PublicGroupState state = group.state();
    // A type no member lists, and required capabilities (x509 credentials) the basic-credential members lack.
    Extension unknown = new Extension(0x0f0a, new byte[] {1});
    Extension x509Required = new Extension(Extension.REQUIRED_CAPABILITIES,
        new MlsWriter().vector(List.<Integer>of(), (t, w) -> w.u16(t)).vector(List.<Integer>of(), (t, w) -> w.u16(t))
            .vector(List.of(2), (t, w) -> w.u16(t)).toByteArray());
    for (Extension refused : List.of(unknown, x509Required)) {
      PublicMessage commit = (PublicMessage) MlsMessage.decode(group.commit(alice,
          new Proposal.GroupContextExtensions(List.of(refused))).commit()).body();
      GroupStateException e = assertThrows(GroupStateException.class, () -> state.withCommit(commit));
      assertEquals(GroupRule.PROPOSAL, e.rule(), e.getMessage());
      assertTrue(e.detail().startsWith("the GroupContextExtensions "), e.getMessage());
    }
    // A default extension type (external_senders, none) every member supports without listing it.
    Extension externalSenders = new Extension(Extension.EXTERNAL_SENDERS, new byte[] {0});
    PublicMessage accepted = (PublicMessage) MlsMessage.decode(group.commit(alice,
        new Proposal.GroupContextExtensions(List.of(externalSenders))).commit()).body();
    assertEquals(List.of(externalSenders.type()), state.withCommit(accepted).groupContext().extensions().stream()
        .map(Extension::type).toList());
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aCommitReplayedInTheNextEpochIsRefusedByItsEpoch(CipherSuite suite) throws Exception {
    Moment m = first(suite, moment -> true);
    PublicGroupState next = m.before().withCommit(m.commit());
    GroupStateException e = assertThrows(GroupStateException.class, () -> next.withCommit(m.commit()));
    assertEquals(GroupRule.FRAMING, e.rule());
    assertTrue(e.detail().endsWith("the group is in epoch " + next.epoch()), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void anAddedLeafWithAMembersEncryptionKeyIsRefusedAsADuplicate(CipherSuite suite) throws Exception {
    Moment m = first(suite, moment -> moment.body().path().isEmpty());
    LeafNode member = m.before().tree().leaf(0).orElseThrow();
    TestKeyPackages.SigningKey key = TestKeyPackages.SigningKey.generate(suite.signatureScheme());
    KeyPackage fresh = TestKeyPackages.create(suite, TestKeyPackages.basic("copycat"), key, Instant.now());
    LeafNode l = fresh.leafNode();
    KeyPackage copycat = TestKeyPackages.sign(new KeyPackage(fresh.version(), fresh.cipherSuite(), fresh.initKey(),
        new LeafNode(member.encryptionKey(), l.signatureKey(), l.credential(), l.capabilities(), l.source(),
            l.extensions(), l.signature()), fresh.extensions(), fresh.signature()), key);
    List<Commit.ProposalOrRef> proposals = new ArrayList<>(m.body().proposals());
    proposals.add(new Commit.ByValue(new Proposal.Add(copycat)));
    GroupStateException e = m.refuse(new Commit(proposals, Optional.empty()), GroupRule.TREE);
    assertTrue(e.detail().startsWith("UNIQUE_ENCRYPTION_KEY: "), e.getMessage());
    m.stillAcceptsTheOriginal();
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void anAddedLeafWithACredentialTypeTheMembersDoNotSupportIsRefused(CipherSuite suite) throws Exception {
    Moment m = first(suite, moment -> moment.body().path().isEmpty());
    TestKeyPackages.SigningKey key = TestKeyPackages.SigningKey.generate(suite.signatureScheme());
    // The vectors' members use basic credentials and list only those; this KeyPackage is x509 alone.
    KeyPackage x509 = TestKeyPackages.create(suite, new Credential.X509(List.of(TestMessages.random(64))), key,
        Instant.now());
    List<Commit.ProposalOrRef> proposals = new ArrayList<>(m.body().proposals());
    proposals.add(new Commit.ByValue(new Proposal.Add(x509)));
    GroupStateException e = m.refuse(new Commit(proposals, Optional.empty()), GroupRule.KEY_PACKAGE);
    assertTrue(e.detail().contains("does not support credential type 2"), e.getMessage());
    m.stillAcceptsTheOriginal();
  }

  /** The first Update proposal in {@code suite}'s handling-commit cases, with the state it is sent to. */
  @SuppressWarnings("unchecked")
  static Map.Entry<PublicGroupState, PublicMessage> firstUpdate(CipherSuite suite) throws Exception {
    for (PassiveClientVectorsTest.Case c : PassiveClientVectorsTest.commitCases()
        .filter(c -> c.suite() == suite).toList()) {
      PublicGroupState state = c.join();
      for (Map<String, Object> epoch : c.epochs()) {
        for (String hex : (List<String>) epoch.get("proposals")) {
          PublicMessage proposal = publicMessage(hex);
          if (proposal.content().body() instanceof FramedContent.ProposalBody(Proposal.Update u)) {
            return Map.entry(state, proposal);
          }
          state = state.withProposal(proposal);
        }
        state = state.withCommit(publicMessage((String) epoch.get("commit")));
      }
    }
    throw new AssertionError("no " + suite + " Update proposal in the vectors");
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void flippedBitInAnUpdateProposalsLeafIsRefusedAtItsLeafSignature(CipherSuite suite) throws Exception {
    Map.Entry<PublicGroupState, PublicMessage> found = firstUpdate(suite);
    PublicGroupState state = found.getKey();
    PublicMessage update = found.getValue();
    LeafNode l = ((Proposal.Update) ((FramedContent.ProposalBody) update.content().body()).proposal()).leafNode();
    LeafNode damaged = new LeafNode(TestBytes.flipBit(l.encryptionKey(), 8 * 9 + 4), l.signatureKey(), l.credential(),
        l.capabilities(), l.source(), l.extensions(), l.signature());
    FramedContent content = update.content();
    PublicMessage message = new PublicMessage(new FramedContent(content.groupId(), content.epoch(), content.sender(),
        content.authenticatedData(), new FramedContent.ProposalBody(new Proposal.Update(damaged))),
        update.signature(), update.confirmationTag(), update.membershipTag());
    assertEquals(GroupRule.SIGNATURE, assertThrows(GroupStateException.class, () -> state.withProposal(message))
        .rule());
    GroupStateException e = assertThrows(GroupStateException.class,
        () -> state.withAuthenticatedProposal(AuthenticatedContent.of(message)));
    assertEquals(GroupRule.LEAF_NODE, e.rule(), e.getMessage());
    assertEquals(state.pendingProposals() + 1, state.withProposal(update).pendingProposals());
  }
}
