package org.homeserver.mls.group;

import static org.homeserver.mls.tree.TreeMath.isInSubtree;
import static org.homeserver.mls.tree.TreeMath.left;
import static org.homeserver.mls.tree.TreeMath.nodeOfLeaf;
import static org.homeserver.mls.tree.TreeMath.right;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.TestKeyPackages.SigningKey;
import org.homeserver.mls.codec.MlsWriter;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.TestBytes;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.RatchetTree.Leaf;
import org.homeserver.mls.message.RatchetTree.Parent;
import org.homeserver.mls.message.Sender;
import org.homeserver.mls.message.WireFormat;
import org.homeserver.mls.tree.PublicTree;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * External commits (RFC 9420 section 12.4.3.2) that a {@link PublicGroupState} follows: a joiner
 * with a fresh key commits itself into a vector's group, with an ExternalInit (whose kem_output no
 * server can check) and an UpdatePath whose parent hashes it computes as a client would. The
 * vectors have no external commit, so the joiner here is the test's.
 */
class ExternalCommitTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A signed external commit by {@code joiner} into {@code state}, covering {@code proposals} and an ExternalInit. */
  static PublicMessage externalCommit(PublicGroupState state, SigningKey joiner, List<Commit.ProposalOrRef> proposals)
      throws Exception {
    CipherSuite suite = state.suite();
    LeafNode template = TestKeyPackages.create(suite, TestKeyPackages.basic("joiner"), joiner, Instant.now())
        .leafNode();
    TreeEdit edit = new TreeEdit(state.tree());
    for (Commit.ProposalOrRef p : proposals) {
      if (p instanceof Commit.ByValue(Proposal.Remove r)) {
        edit.remove(r.removed());
      }
    }
    int index = edit.add(template);
    int x = nodeOfLeaf(index);
    edit.blankDirectPath(x);
    List<Integer> filtered = edit.toTree().filteredDirectPath(x);
    List<Commit.UpdatePathNode> nodes = new ArrayList<>();
    byte[] parentHash = new byte[0];
    for (int i = filtered.size() - 1; i >= 0; i--) {
      int p = filtered.get(i);
      byte[] key = random(suite.hpkePublicKeyLength());
      nodes.addFirst(new Commit.UpdatePathNode(key, List.of()));
      edit.set(p, new Parent(key, parentHash, List.of()));
      PublicTree tree = edit.toTree();
      parentHash = tree.parentHash(p, isInSubtree(x, left(p)) ? right(p) : left(p));
    }
    LeafNode unsigned = new LeafNode(template.encryptionKey(), template.signatureKey(), template.credential(),
        template.capabilities(), new LeafNode.CommitSource(parentHash), List.of(), new byte[0]);
    LeafNode leaf = new LeafNode(unsigned.encryptionKey(), unsigned.signatureKey(), unsigned.credential(),
        unsigned.capabilities(), unsigned.source(), List.of(), joiner.signWithLabel("LeafNodeTBS",
            unsigned.toBeSigned(state.groupContext().groupId(), index)));
    List<Commit.ProposalOrRef> all = new ArrayList<>(proposals);
    all.add(new Commit.ByValue(new Proposal.ExternalInit(random(suite.hpkePublicKeyLength()))));
    FramedContent content = new FramedContent(state.groupContext().groupId(), state.epoch(),
        new Sender.NewMemberCommit(), new byte[0],
        new FramedContent.CommitBody(new Commit(all, Optional.of(new Commit.UpdatePath(leaf, nodes)))));
    MlsWriter tbs = new MlsWriter().u16(MlsMessage.MLS10).u16(WireFormat.PUBLIC_MESSAGE.code());
    content.encode(tbs);
    state.groupContext().encode(tbs);
    return new PublicMessage(content, joiner.signWithLabel("FramedContentTBS", tbs.toByteArray()),
        Optional.of(random(suite.hashLength())), Optional.empty());
  }

  static PublicGroupState joined(CipherSuite suite) throws Exception {
    return PassiveClientVectorsTest.commitCases().filter(c -> c.suite() == suite).findFirst().orElseThrow().join();
  }

  private static byte[] random(int length) {
    byte[] bytes = new byte[length];
    RANDOM.nextBytes(bytes);
    return bytes;
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
