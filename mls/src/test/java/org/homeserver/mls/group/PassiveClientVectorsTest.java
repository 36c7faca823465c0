package org.homeserver.mls.group;

import static org.homeserver.mls.TestVectors.hexField;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.crypto.TestBytes;
import org.homeserver.mls.tree.TreeRule;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.GroupContext;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.PreSharedKeyId;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.message.Sender;
import org.homeserver.mls.message.Welcome;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.homeserver.mls.welcome.PreSharedKeys;
import org.homeserver.mls.welcome.WelcomeDecryption;
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
 * members'.
 */
class PassiveClientVectorsTest {
  private static final List<Map<String, Object>> COMMITS = TestVectors.load("passive-client-handling-commit.json");
  private static final List<Map<String, Object>> WELCOMES = TestVectors.load("passive-client-welcome.json");
  static final KeyPackageValidator KEY_PACKAGES =
      new KeyPackageValidator(EnumSet.allOf(CipherSuite.class), Duration.ZERO, Clock.systemUTC());

  record Case(String file, int index, Map<String, Object> vector) {
    CipherSuite suite() {
      return TestVectors.suite(vector);
    }

    PublicGroupState join() throws Exception {
      return PublicGroupState.fromGroupInfo(groupInfo(), ratchetTree(), KEY_PACKAGES);
    }

    /** The Welcome's GroupInfo, decrypted as the passive client does. */
    GroupInfo groupInfo() throws Exception {
      KeyPackage keyPackage = ((MlsMessage.KeyPackageBody) message(hexField(vector, "key_package")).body())
          .keyPackage();
      Welcome welcome = (Welcome) message(hexField(vector, "welcome")).body();
      return WelcomeDecryption.decrypt(welcome, keyPackage, hexField(vector, "init_priv"), preSharedKeys()).groupInfo();
    }

    /** The vector's ratchet tree; empty when the GroupInfo carries it. */
    Optional<RatchetTree> ratchetTree() throws MlsDecodeException {
      return vector.get("ratchet_tree") == null ? Optional.empty()
          : Optional.of(MlsReader.decodeAll(hexField(vector, "ratchet_tree"), "ratchet_tree", RatchetTree::decode));
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> epochs() {
      return (List<Map<String, Object>>) vector.get("epochs");
    }

    @SuppressWarnings("unchecked")
    private PreSharedKeys preSharedKeys() {
      List<Map<String, Object>> psks = (List<Map<String, Object>>) vector.get("external_psks");
      return id -> id.kind() instanceof PreSharedKeyId.External e
          ? psks.stream().filter(p -> Arrays.equals(hexField(p, "psk_id"), e.pskId()))
              .map(p -> hexField(p, "psk")).findFirst()
          : Optional.empty();
    }

    @Override
    public String toString() {
      return file + " " + suite().name() + " case " + index;
    }
  }

  /** What following one case's epochs gave. */
  record Followed(PublicGroupState last, int epochsApplied, int epochsConfirmed, int privateMessagesSkipped) {}

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

  /** Every epoch's proposals, then its commit; PrivateMessages are counted and the case stops there. */
  @SuppressWarnings("unchecked")
  static Followed follow(Case c) throws Exception {
    PublicGroupState state = c.join();
    int applied = 0;
    int confirmed = 0;
    for (Map<String, Object> epoch : c.epochs()) {
      List<PublicMessage> messages = new ArrayList<>();
      for (String hex : (List<String>) epoch.get("proposals")) {
        messages.add(publicOrNull(hex));
      }
      messages.add(publicOrNull((String) epoch.get("commit")));
      if (messages.contains(null)) {
        return new Followed(state, applied, confirmed, (int) messages.stream().filter(m -> m == null).count());
      }
      long before = state.epoch();
      for (PublicMessage proposal : messages.subList(0, messages.size() - 1)) {
        state = state.withProposal(proposal);
      }
      if (applied > 0 && messages.stream().anyMatch(m -> m.content().sender() instanceof Sender.Member)) {
        // A member's message of this epoch verified under the GroupContext the previous commit gave.
        confirmed++;
      }
      state = state.withCommit(messages.getLast());
      assertEquals(before + 1, state.epoch());
      assertEquals(0, state.pendingProposals());
      applied++;
    }
    return new Followed(state, applied, confirmed, 0);
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
  @MethodSource("commitCases")
  void theStateFollowsEveryEpochAndTheNextEpochsSignaturesConfirmIt(Case c) throws Exception {
    Followed followed = follow(c);
    assertEquals(0, followed.privateMessagesSkipped());
    assertEquals(c.epochs().size(), followed.epochsApplied());
    assertEquals(c.epochs().size() - 1, followed.epochsConfirmed());
    assertArrayEquals(followed.last().groupContext().treeHash(), followed.last().tree().treeHash());
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
