package org.homeserver.mls.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.crypto.CipherSuite;
import org.junit.jupiter.api.Test;

class RatchetTreeTest {
  private final LeafNode leaf = TestKeyPackages.create(CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519,
      "alice", Instant.now()).leafNode();
  private final RatchetTree.Parent parent = new RatchetTree.Parent(new byte[32], new byte[0], List.of(0L));

  private static RatchetTree roundTrip(RatchetTree tree) throws MlsDecodeException {
    return MlsReader.decodeAll(tree.toBytes(), "tree", RatchetTree::decode);
  }

  @Test
  void leavesAtEvenAndParentsAtOddIndicesRoundTrip() throws MlsDecodeException {
    RatchetTree tree = new RatchetTree(List.of(Optional.of(new RatchetTree.Leaf(leaf)), Optional.of(parent),
        Optional.empty()));
    assertEquals(3, roundTrip(tree).nodes().size());
  }

  @Test
  void aLeafAtAnOddIndexIsRefused() {
    RatchetTree tree = new RatchetTree(List.of(Optional.empty(), Optional.of(new RatchetTree.Leaf(leaf))));
    MlsDecodeException e = assertThrows(MlsDecodeException.class, () -> roundTrip(tree));
    assertEquals("tree.nodes[1]", e.field());
    assertTrue(e.reason().startsWith("a leaf node at index 1"), e.reason());
  }

  @Test
  void aParentAtAnEvenIndexIsRefused() {
    RatchetTree tree = new RatchetTree(List.of(Optional.of(parent)));
    assertThrows(MlsDecodeException.class, () -> roundTrip(tree));
  }
}
