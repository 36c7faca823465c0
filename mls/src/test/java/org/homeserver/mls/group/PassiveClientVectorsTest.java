package org.homeserver.mls.group;

import static org.homeserver.mls.TestVectors.hexField;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.conformance.Conformance;
import org.homeserver.mls.conformance.EpochResult;
import org.homeserver.mls.conformance.PassiveClientCase;
import org.homeserver.mls.conformance.Summary;
import org.homeserver.mls.crypto.TestBytes;
import org.homeserver.mls.tree.TreeRule;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.GroupContext;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.message.Sender;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A server's {@link PublicGroupState} following the working group's passive-client vectors: joined
 * from the Welcome (decrypted with the passive client's init key, which a server would not have:
 * here it only stands in for the GroupInfo a server is given), then every epoch's proposals and
 * commit applied. A server cannot check the epoch authenticators; instead, each epoch's messages
 * are signed over the GroupContext (FramedContentTBS), so their signatures verifying under the
 * GroupContext this state computed shows its tree hash and confirmed transcript hash are the
 * members'. The run is {@link Conformance}'s, which {@code homeserver mls conformance} makes too.
 */
class PassiveClientVectorsTest {
  private static final List<Map<String, Object>> COMMITS = TestVectors.load("passive-client-handling-commit.json");
  private static final List<Map<String, Object>> WELCOMES = TestVectors.load("passive-client-welcome.json");
  static final KeyPackageValidator KEY_PACKAGES =
      new KeyPackageValidator(EnumSet.allOf(CipherSuite.class), Duration.ZERO, Clock.systemUTC());

  /** A case of one of the two files, as the conformance runner takes it. */
  record Case(String file, int index, Map<String, Object> vector) {
    CipherSuite suite() {
      return TestVectors.suite(vector);
    }

    @SuppressWarnings("unchecked")
    PassiveClientCase passive() {
      List<PassiveClientCase.ExternalPsk> psks = ((List<Map<String, Object>>) vector.get("external_psks")).stream()
          .map(p -> new PassiveClientCase.ExternalPsk(hexField(p, "psk_id"), hexField(p, "psk"))).toList();
      List<PassiveClientCase.Epoch> epochs = epochs().stream().map(e -> new PassiveClientCase.Epoch(
          ((List<String>) e.get("proposals")).stream().map(TestVectors::hex).toList(),
          hexField(e, "commit"))).toList();
      return new PassiveClientCase(index, suite().code(), hexField(vector, "key_package"), hexField(vector, "welcome"),
          hexField(vector, "init_priv"), Optional.ofNullable((String) vector.get("ratchet_tree")).map(TestVectors::hex),
          psks, epochs);
    }

    PublicGroupState join() throws Exception {
      return PublicGroupState.fromGroupInfo(groupInfo(), passive().decodedRatchetTree(), KEY_PACKAGES);
    }

    /** The Welcome's GroupInfo, decrypted as the passive client does. */
    GroupInfo groupInfo() throws Exception {
      return passive().groupInfo();
    }

    Optional<RatchetTree> ratchetTree() throws MlsDecodeException {
      return passive().decodedRatchetTree();
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> epochs() {
      return (List<Map<String, Object>>) vector.get("epochs");
    }

    @Override
    public String toString() {
      return file + " " + suite().name() + " case " + index;
    }
  }

  static Stream<Case> commitCases() {
    return IntStream.range(0, COMMITS.size()).mapToObj(i -> new Case("handling-commit", i, COMMITS.get(i)));
  }

  static Stream<Case> allCases() {
    return Stream.concat(commitCases(),
        IntStream.range(0, WELCOMES.size()).mapToObj(i -> new Case("welcome", i, WELCOMES.get(i))));
  }

  static MlsMessage message(byte[] bytes) throws MlsDecodeException {
    return MlsMessage.decode(bytes);
  }

  private static PublicMessage publicOrNull(String hex) throws MlsDecodeException {
    return message(TestVectors.hex(hex)).body() instanceof PublicMessage m ? m : null;
  }

  @Test
  void everyCommitVectorMessageIsAPublicMessage() throws Exception {
    int messages = 0;
    for (Case c : commitCases().toList()) {
      for (Map<String, Object> epoch : c.epochs()) {
        @SuppressWarnings("unchecked")
        List<String> proposals = (List<String>) epoch.get("proposals");
        for (String hex : Stream.concat(proposals.stream(), Stream.of((String) epoch.get("commit"))).toList()) {
          assertTrue(publicOrNull(hex) != null, c + ": a PrivateMessage, which a server cannot follow");
          messages++;
        }
      }
    }
    assertEquals(266, messages);
  }

  @Test
  void theCommitVectorsExerciseEveryKindOfChangeTheStateFollows() throws Exception {
    Map<String, Integer> seen = new TreeMap<>();
    for (Case c : commitCases().toList()) {
      for (Map<String, Object> epoch : c.epochs()) {
        @SuppressWarnings("unchecked")
        List<String> proposals = (List<String>) epoch.get("proposals");
        for (String hex : proposals) {
          FramedContent content = publicOrNull(hex).content();
          seen.merge("by reference " + ((FramedContent.ProposalBody) content.body()).proposal().getClass()
              .getSimpleName(), 1, Integer::sum);
        }
        Commit commit = ((FramedContent.CommitBody) publicOrNull((String) epoch.get("commit")).content().body()).commit();
        for (Commit.ProposalOrRef p : commit.proposals()) {
          if (p instanceof Commit.ByValue(Proposal proposal)) {
            seen.merge("by value " + proposal.getClass().getSimpleName(), 1, Integer::sum);
          }
        }
        seen.merge(commit.path().isPresent() ? "commits with a path" : "commits without a path", 1, Integer::sum);
      }
    }
    for (String kind : List.of("by reference Add", "by reference Update", "by reference Remove", "by value Add",
        "by value Remove", "commits with a path", "commits without a path")) {
      assertTrue(seen.getOrDefault(kind, 0) > 0, kind + " not in " + seen);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allCases")
  void theStateJoinsAtTheWelcomesGroupInfo(Case c) throws Exception {
    PublicGroupState state = c.join();
    assertEquals(c.suite(), state.suite());
    assertArrayEquals(state.groupContext().treeHash(), state.tree().treeHash());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allCases")
  void theStateFollowsEveryEpochAndRefusesEveryFlippedSignature(Case c) throws Exception {
    List<EpochResult> results = new Conformance(KEY_PACKAGES).check(c.passive());
    assertEquals(1 + c.epochs().size(), results.size());
    for (EpochResult r : results) {
      assertEquals(EpochResult.Tampering.REFUSED, r.tampering(), r.line());
      assertTrue(r.outcome() instanceof EpochResult.Accepted, r.line());
    }
    long joined = c.groupInfo().groupContext().epoch();
    assertEquals("case " + c.index() + " suite " + c.suite().code() + " epoch " + joined
        + ": accepted (joined), flipped GroupInfo signature refused", results.getFirst().line());
    Summary summary = Summary.of(results);
    assertTrue(summary.passed());
    int n = results.size();
    assertEquals(n + " of " + n + " epochs accepted, " + n + " tampered refused", summary.line());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("commitCases")
  void everyEpochAfterTheFirstHasAMemberSignatureConfirmingTheGroupContextTheStateComputed(Case c) throws Exception {
    // Member senders sign the GroupContext (FramedContentTBS): that the runner accepted them shows the
    // tree hash and confirmed transcript hash of the previous commit are the members'.
    for (Map<String, Object> epoch : c.epochs().subList(Math.min(1, c.epochs().size()), c.epochs().size())) {
      @SuppressWarnings("unchecked")
      List<String> proposals = (List<String>) epoch.get("proposals");
      assertTrue(Stream.concat(proposals.stream(), Stream.of((String) epoch.get("commit"))).anyMatch(hex -> {
        try {
          return publicOrNull(hex).content().sender() instanceof Sender.Member;
        } catch (MlsDecodeException e) {
          throw new AssertionError(e);
        }
      }), c.toString());
    }
  }

  @Test
  void aCommitWithAFlippedSignatureBitIsRefusedAndTheRestOfItsCaseNotChecked() throws Exception {
    Case c = commitCases().filter(k -> k.epochs().size() >= 2).findFirst().orElseThrow();
    PassiveClientCase original = c.passive();
    List<PassiveClientCase.Epoch> epochs = new ArrayList<>(original.epochs());
    PublicMessage commit = (PublicMessage) message(epochs.getFirst().commit()).body();
    PublicMessage forged = new PublicMessage(commit.content(), TestBytes.flipBit(commit.signature(), 3),
        commit.confirmationTag(), commit.membershipTag());
    epochs.set(0, new PassiveClientCase.Epoch(epochs.getFirst().proposals(),
        new MlsMessage(MlsMessage.MLS10, forged).toBytes()));
    PassiveClientCase damaged = new PassiveClientCase(original.index(), original.cipherSuite(), original.keyPackage(),
        original.welcome(), original.initPrivateKey(), original.ratchetTree(), original.externalPsks(), epochs);

    List<EpochResult> results = new Conformance(KEY_PACKAGES).check(damaged);
    long joined = c.groupInfo().groupContext().epoch();
    assertTrue(results.get(1).line().startsWith("case " + c.index() + " suite " + c.suite().code() + " epoch "
        + (joined + 1) + ": refused: SIGNATURE: the commit's signature does not verify"), results.get(1).line());
    assertEquals("case " + c.index() + " suite " + c.suite().code() + " epoch " + (joined + 2) + ": not checked: epoch "
        + (joined + 1) + " was refused", results.get(2).line());
    Summary summary = Summary.of(results);
    assertEquals(false, summary.passed());
    assertEquals("1 of " + results.size() + " epochs accepted, 1 tampered refused", summary.line());
  }

  @Test
  void anEpochWithAPrivateMessageIsSkippedWithTheRestOfItsCaseAndIsNoFailure() throws Exception {
    Case c = commitCases().filter(k -> k.epochs().size() >= 2).findFirst().orElseThrow();
    PassiveClientCase original = c.passive();
    byte[] privateMessage = hexField(TestVectors.load("messages.json").getFirst(), "private_message");
    List<PassiveClientCase.Epoch> epochs = new ArrayList<>(original.epochs());
    epochs.set(0, new PassiveClientCase.Epoch(epochs.getFirst().proposals(), privateMessage));
    PassiveClientCase withPrivate = new PassiveClientCase(original.index(), original.cipherSuite(),
        original.keyPackage(), original.welcome(), original.initPrivateKey(), original.ratchetTree(),
        original.externalPsks(), epochs);

    List<EpochResult> results = new Conformance(KEY_PACKAGES).check(withPrivate);
    long joined = c.groupInfo().groupContext().epoch();
    String head = "case " + c.index() + " suite " + c.suite().code() + " epoch ";
    assertEquals(head + (joined + 1) + ": skipped: a PrivateMessage, which a server cannot read",
        results.get(1).line());
    assertEquals(head + (joined + 2) + ": skipped: after epoch " + (joined + 1) + "'s PrivateMessage",
        results.get(2).line());
    Summary summary = Summary.of(results);
    assertTrue(summary.passed());
    int skipped = epochs.size();
    assertEquals("1 of 1 epochs accepted, 1 tampered refused, " + skipped + " skipped (PrivateMessage)",
        summary.line());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allCases")
  void aGroupInfoWithAFlippedSignatureOrTreeHashBitIsRefused(Case c) throws Exception {
    GroupInfo info = c.groupInfo();
    GroupInfo forged = new GroupInfo(info.groupContext(), info.extensions(), info.confirmationTag(), info.signer(),
        TestBytes.flipBit(info.signature(), 8 * 2 + 5));
    GroupStateException e = assertThrows(GroupStateException.class,
        () -> PublicGroupState.fromGroupInfo(forged, c.ratchetTree(), KEY_PACKAGES));
    assertEquals(GroupRule.GROUP_INFO_SIGNATURE, e.rule());
    GroupContext g = info.groupContext();
    GroupInfo otherTree = new GroupInfo(new GroupContext(g.version(), g.cipherSuite(), g.groupId(), g.epoch(),
        TestBytes.flipBit(g.treeHash(), 1), g.confirmedTranscriptHash(), g.extensions()), info.extensions(),
        info.confirmationTag(), info.signer(), info.signature());
    e = assertThrows(GroupStateException.class,
        () -> PublicGroupState.fromGroupInfo(otherTree, c.ratchetTree(), KEY_PACKAGES));
    assertEquals(GroupRule.TREE, e.rule());
    assertTrue(e.detail().startsWith(TreeRule.TREE_HASH + ": "), e.getMessage());
  }
}
