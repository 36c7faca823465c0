package org.homeserver.mls.group;

import static org.homeserver.mls.tree.TreeMath.nodeOfLeaf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.TestKeyPackages.SigningKey;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.TestBytes;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.RatchetTree.Leaf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * External commits (RFC 9420 section 12.4.3.2) that a {@link PublicGroupState} follows: a joiner
 * with a fresh key commits itself into a vector's group, with an ExternalInit (whose kem_output no
 * server can check) and an UpdatePath whose parent hashes it computes as a client would
 * ({@link TestGroup#externalJoin}). The vectors have no external commit, so the joiner here is the test's.
 */
class ExternalCommitTest {
  /** A signed external commit by {@code joiner} into {@code state}, covering {@code proposals} and an ExternalInit. */
  static PublicMessage externalCommit(PublicGroupState state, SigningKey joiner, List<Commit.ProposalOrRef> proposals) {
    return TestGroup.following(state).externalJoin(new TestGroup.Member(joiner, TestKeyPackages.basic("joiner")),
        proposals).message();
  }

  static PublicGroupState joined(CipherSuite suite) throws Exception {
    return PassiveClientVectorsTest.commitCases().filter(c -> c.suite() == suite).findFirst().orElseThrow().join();
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void anExternalJoinerCommitsItselfIntoTheLeftmostBlankLeaf(CipherSuite suite) throws Exception {
    PublicGroupState state = joined(suite);
    SigningKey joiner = SigningKey.generate(suite.signatureScheme());
    PublicGroupState next = state.withCommit(externalCommit(state, joiner, List.of()));
    assertEquals(state.epoch() + 1, next.epoch());
    int index = 0;
    while (index < state.tree().leafCount() && state.tree().node(nodeOfLeaf(index)).isPresent()) {
      index++;
    }
    LeafNode leaf = ((Leaf) next.tree().node(nodeOfLeaf(index)).orElseThrow()).leafNode();
    assertArrayEquals(joiner.publicKey(), leaf.signatureKey());
    assertArrayEquals(next.tree().treeHash(), next.groupContext().treeHash());
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void anExternalJoinerCanRemoveItsOldSelf(CipherSuite suite) throws Exception {
    PublicGroupState state = joined(suite);
    SigningKey joiner = SigningKey.generate(suite.signatureScheme());
    PublicGroupState next = state.withCommit(externalCommit(state, joiner,
        List.of(new Commit.ByValue(new Proposal.Remove(0)))));
    LeafNode leaf = ((Leaf) next.tree().node(0).orElseThrow()).leafNode();
    assertArrayEquals(joiner.publicKey(), leaf.signatureKey(), "the joiner takes the leftmost blank leaf, 0");
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void anExternalCommitWithAFlippedSignatureBitOrAProposalByReferenceIsRefused(CipherSuite suite) throws Exception {
    PublicGroupState state = joined(suite);
    SigningKey joiner = SigningKey.generate(suite.signatureScheme());
    PublicMessage commit = externalCommit(state, joiner, List.of());
    PublicMessage forged = new PublicMessage(commit.content(), TestBytes.flipBit(commit.signature(), 8 * 6),
        commit.confirmationTag(), commit.membershipTag());
    assertEquals(GroupRule.SIGNATURE, assertThrows(GroupStateException.class, () -> state.withCommit(forged)).rule());
    PublicMessage byReference = externalCommit(state, joiner,
        List.of(new Commit.ByReference(new byte[suite.hashLength()])));
    assertEquals("PROPOSAL: an external commit covers no proposal by reference",
        assertThrows(GroupStateException.class, () -> state.withCommit(byReference)).getMessage());
    PublicMessage twoInits = externalCommit(state, joiner,
        List.of(new Commit.ByValue(new Proposal.ExternalInit(new byte[32]))));
    assertEquals("PROPOSAL: an external commit covers exactly one ExternalInit, not 2",
        assertThrows(GroupStateException.class, () -> state.withCommit(twoInits)).getMessage());
    assertEquals(state.epoch() + 1, state.withCommit(commit).epoch());
  }
}
