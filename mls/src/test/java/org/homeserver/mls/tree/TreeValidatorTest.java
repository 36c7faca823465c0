package org.homeserver.mls.tree;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.TestBytes;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.message.RatchetTree.Leaf;
import org.homeserver.mls.message.RatchetTree.Node;
import org.homeserver.mls.message.RatchetTree.Parent;
import org.junit.jupiter.api.Test;

/**
 * The rules of a received tree on two-leaf trees of freshly signed KeyPackage leaves (whose
 * signatures bind no group id) under a blank parent; the vector trees are in
 * {@link TreeValidationVectorsTest}.
 */
class TreeValidatorTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final byte[] GROUP_ID = {1, 2, 3};

  private final LeafNode alice = TestKeyPackages.create(SUITE, "alice", Instant.now()).leafNode();
  private final LeafNode bob = TestKeyPackages.create(SUITE, "bob", Instant.now()).leafNode();

  private static PublicTree tree(LeafNode left, Optional<Node> parent, LeafNode right) throws InvalidTreeException {
    List<Optional<Node>> nodes = List.of(Optional.of(new Leaf(left)), parent, Optional.of(new Leaf(right)));
    return PublicTree.of(SUITE, new RatchetTree(nodes));
  }

  private static InvalidTreeException refusal(PublicTree tree) {
    return assertThrows(InvalidTreeException.class, () -> TreeValidator.validate(tree, tree.treeHash(), GROUP_ID));
  }

  private static LeafNode withEncryptionKey(LeafNode l, byte[] key) {
    return new LeafNode(key, l.signatureKey(), l.credential(), l.capabilities(), l.source(), l.extensions(),
        l.signature());
  }

  @Test
  void treeOfTwoSignedLeavesUnderABlankParentIsValid() throws InvalidTreeException {
    PublicTree tree = tree(alice, Optional.empty(), bob);
    assertDoesNotThrow(() -> TreeValidator.validate(tree, tree.treeHash(), GROUP_ID));
  }

  @Test
  void treeHashOtherThanTheGroupInfosIsRefused() throws InvalidTreeException {
    PublicTree tree = tree(alice, Optional.empty(), bob);
    byte[] stated = TestBytes.flipBit(tree.treeHash(), 0);
    InvalidTreeException e =
        assertThrows(InvalidTreeException.class, () -> TreeValidator.validate(tree, stated, GROUP_ID));
    assertEquals(TreeRule.TREE_HASH, e.rule());
  }

  @Test
  void parentThatNoNodeBelowChainsToIsRefused() throws InvalidTreeException {
    Optional<Node> unrelated = Optional.of(new Parent(new byte[32], new byte[0], List.of()));
    InvalidTreeException e = refusal(tree(alice, unrelated, bob));
    assertEquals(TreeRule.PARENT_HASH, e.rule());
    assertEquals("parent node 1 is parent-hash valid with respect to no node below it", e.detail());
  }

  @Test
  void twoLeavesWithOneEncryptionKeyAreRefused() throws InvalidTreeException {
    LeafNode bobWithAlicesKey = withEncryptionKey(bob, alice.encryptionKey());
    InvalidTreeException e = refusal(tree(alice, Optional.empty(), bobWithAlicesKey));
    assertEquals(TreeRule.UNIQUE_ENCRYPTION_KEY, e.rule());
    assertEquals("nodes 0 and 2 have the same encryption key", e.detail());
  }

  @Test
  void twoLeavesWithOneSignatureKeyAreRefused() throws InvalidTreeException {
    // Alice's leaf again, with another encryption key: only the signature key repeats.
    LeafNode aliceAgain = withEncryptionKey(alice, bob.encryptionKey());
    InvalidTreeException e = refusal(tree(alice, Optional.empty(), aliceAgain));
    assertEquals(TreeRule.UNIQUE_SIGNATURE_KEY, e.rule());
    assertEquals("leaves 0 and 1 have the same signature key", e.detail());
  }

  @Test
  void leafWhoseSignatureDoesNotVerifyIsRefused() throws InvalidTreeException {
    LeafNode forged = new LeafNode(bob.encryptionKey(), bob.signatureKey(), bob.credential(), bob.capabilities(),
        bob.source(), bob.extensions(), TestBytes.flipBit(bob.signature(), 3));
    InvalidTreeException e = refusal(tree(alice, Optional.empty(), forged));
    assertEquals(TreeRule.LEAF_SIGNATURE, e.rule());
    assertEquals("leaf 1's signature does not verify", e.detail());
  }

  @Test
  void leafWhoseSignatureKeyIsNoKeyOfTheSuiteIsRefused() throws InvalidTreeException {
    LeafNode keyless = new LeafNode(bob.encryptionKey(), new byte[5], bob.credential(), bob.capabilities(),
        bob.source(), bob.extensions(), bob.signature());
    InvalidTreeException e = refusal(tree(alice, Optional.empty(), keyless));
    assertEquals(TreeRule.LEAF_SIGNATURE, e.rule());
    assertEquals("leaf 1's signature key is not a valid ED25519 key", e.detail());
  }
}
