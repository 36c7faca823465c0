package org.homeserver.mls.group;

import static org.homeserver.mls.group.PassiveClientVectorsTest.KEY_PACKAGES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsWriter;
import org.homeserver.mls.crypto.TestBytes;
import org.homeserver.mls.group.PassiveClientVectorsTest.Case;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.tree.TreeMath;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link PublicGroupState#toBytes} and {@link PublicGroupState#fromBytes} on every state of the
 * passive-client vectors: each state stored and loaded after every proposal and commit, the group
 * followed on from the loaded copy, and damaged stored bytes refused.
 */
class StoredGroupStateTest {

  static Stream<Case> allCases() {
    return PassiveClientVectorsTest.allCases();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allCases")
  void aStateLoadedAfterEveryProposalAndCommitFollowsTheRestOfTheGroupAsTheOriginalDoes(Case c) throws Exception {
    PublicGroupState original = c.join();
    PublicGroupState loaded = storedAndLoaded(original);
    for (Map<String, Object> epoch : c.epochs()) {
      @SuppressWarnings("unchecked")
      List<String> proposals = (List<String>) epoch.get("proposals");
      for (String hex : proposals) {
        original = original.withProposal(publicMessage(hex));
        loaded = storedAndLoaded(loaded.withProposal(publicMessage(hex)));
        assertSameState(original, loaded);
      }
      PublicMessage commit = publicMessage((String) epoch.get("commit"));
      original = original.withCommit(commit);
      loaded = storedAndLoaded(loaded.withCommit(commit));
      assertSameState(original, loaded);
      assertEquals(0, loaded.pendingProposals());
    }
    assertEquals(c.groupInfo().groupContext().epoch() + c.epochs().size(), loaded.epoch());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allCases")
  void aStoreKeepingTheNodesApartRewritesOnlyWhatEachStepChanged(Case c) throws Exception {
    PublicGroupState state = c.join();
    PublicGroupState.StoredParts first = state.toStoredParts();
    SortedMap<Integer, byte[]> store = new TreeMap<>(first.nodes());
    for (Map<String, Object> epoch : c.epochs()) {
      @SuppressWarnings("unchecked")
      List<String> proposals = (List<String>) epoch.get("proposals");
      for (String hex : proposals) {
        PublicGroupState next = state.withProposal(publicMessage(hex));
        PublicGroupState.NodeChanges changes = next.nodesChangedSince(state);
        assertTrue(changes.set().isEmpty() && changes.removed().isEmpty(), "a proposal changes no node");
        state = storedApart(next, changes, store);
      }
      PublicGroupState next = state.withCommit(publicMessage((String) epoch.get("commit")));
      state = storedApart(next, next.nodesChangedSince(state), store);
    }
    assertEquals(c.groupInfo().groupContext().epoch() + c.epochs().size(), state.epoch());
  }

  /**
   * Writes {@code changes} over {@code store} as a database would, checks the store now holds
   * {@code next}'s nodes and no more, and loads {@code next} back from it (later steps start from
   * the loaded copy, as a server's do).
   */
  private static PublicGroupState storedApart(PublicGroupState next, PublicGroupState.NodeChanges changes,
      SortedMap<Integer, byte[]> store) throws MlsDecodeException {
    store.putAll(changes.set());
    changes.removed().forEach(store::remove);
    PublicGroupState.StoredParts fresh = next.toStoredParts();
    assertArrayEquals(fresh.head(), next.storedHead());
    assertEquals(fresh.nodes().keySet(), store.keySet());
    fresh.nodes().forEach((x, bytes) -> assertArrayEquals(bytes, store.get(x), "node " + x));
    PublicGroupState loaded = PublicGroupState.fromStoredParts(new PublicGroupState.StoredParts(fresh.head(),
        new TreeMap<>(store)), KEY_PACKAGES);
    assertSameState(next, loaded);
    return loaded;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allCases")
  void aStoredNodeWithAFlippedBitIsRefusedAsDamaged(Case c) throws Exception {
    PublicGroupState state = c.join();
    PublicGroupState.StoredParts parts = state.toStoredParts();
    int leaf = TreeMath.nodeOfLeaf(lastLeaf(state));
    SortedMap<Integer, byte[]> damaged = new TreeMap<>(parts.nodes());
    byte[] node = damaged.get(leaf);
    int at = indexOf(node, ((RatchetTree.Leaf) state.tree().node(leaf).orElseThrow()).leafNode().encryptionKey());
    damaged.put(leaf, TestBytes.flipBit(node, 8 * (at + 2) + 3));
    MlsDecodeException e = assertThrows(MlsDecodeException.class, () -> PublicGroupState.fromStoredParts(
        new PublicGroupState.StoredParts(parts.head(), damaged), KEY_PACKAGES));
    assertEquals("stored_group_state.ratchet_tree", e.field());
    assertTrue(e.reason().endsWith("the stored state is damaged"), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allCases")
  void aStoredTreeWithAFlippedBitIsRefusedAsDamaged(Case c) throws Exception {
    PublicGroupState state = c.join();
    byte[] stored = state.toBytes();
    RatchetTree.Leaf last = (RatchetTree.Leaf) state.tree().node(TreeMath.nodeOfLeaf(lastLeaf(state))).orElseThrow();
    int at = indexOf(stored, last.leafNode().encryptionKey());
    MlsDecodeException e = assertThrows(MlsDecodeException.class,
        () -> PublicGroupState.fromBytes(TestBytes.flipBit(stored, 8 * (at + 2) + 3), KEY_PACKAGES));
    assertEquals("stored_group_state.ratchet_tree", e.field());
    assertTrue(e.reason().endsWith("the stored state is damaged"), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allCases")
  void aStoredTreeHashWithAFlippedBitIsRefusedAsDamaged(Case c) throws Exception {
    PublicGroupState state = c.join();
    byte[] stored = state.toBytes();
    int at = indexOf(stored, state.groupContext().treeHash());
    MlsDecodeException e = assertThrows(MlsDecodeException.class,
        () -> PublicGroupState.fromBytes(TestBytes.flipBit(stored, 8 * at), KEY_PACKAGES));
    assertEquals("stored_group_state.ratchet_tree", e.field());
    assertTrue(e.reason().endsWith("the stored state is damaged"), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allCases")
  void trailingBytesAfterAStoredStateAreRefused(Case c) throws Exception {
    byte[] stored = c.join().toBytes();
    MlsDecodeException e = assertThrows(MlsDecodeException.class,
        () -> PublicGroupState.fromBytes(Arrays.copyOf(stored, stored.length + 1), KEY_PACKAGES));
    assertEquals("stored_group_state", e.field());
    assertEquals("1 trailing byte(s)", e.reason());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allCases")
  void aStoredStateOfAnUnknownFormatVersionIsRefused(Case c) throws Exception {
    byte[] stored = c.join().toBytes();
    assertEquals(StoredGroupState.FORMAT_VERSION, stored[0]);
    stored[0] = 2;
    MlsDecodeException e = assertThrows(MlsDecodeException.class,
        () -> PublicGroupState.fromBytes(stored, KEY_PACKAGES));
    assertEquals("stored_group_state.format_version", e.field());
    assertEquals(0, e.offset());
    assertEquals("format version 2 is not 1, the only one this build reads", e.reason());
  }

  @Test
  void storedProposalsOutOfOrderOrRepeatedAreRefused() throws Exception {
    PublicGroupState state = withTwoPendingProposals();
    byte[] stored = state.toBytes();
    List<Map.Entry<String, PublicGroupState.AcceptedProposal>> accepted =
        new ArrayList<>(state.acceptedProposals().entrySet());
    accepted.sort(Map.Entry.comparingByKey());
    byte[] inOrder = proposalsVector(accepted);
    byte[] head = Arrays.copyOf(stored, stored.length - inOrder.length);
    assertArrayEquals(stored, concat(head, inOrder));
    for (List<Map.Entry<String, PublicGroupState.AcceptedProposal>> bad : List.of(accepted.reversed(),
        List.of(accepted.getFirst(), accepted.getFirst()))) {
      MlsDecodeException e = assertThrows(MlsDecodeException.class,
          () -> PublicGroupState.fromBytes(concat(head, proposalsVector(bad)), KEY_PACKAGES));
      assertEquals("stored_group_state.accepted_proposals[1].proposal_ref", e.field());
    }
  }

  /** The first state of the vectors with two proposals accepted and not yet committed. */
  private static PublicGroupState withTwoPendingProposals() throws Exception {
    for (Case c : PassiveClientVectorsTest.commitCases().toList()) {
      PublicGroupState state = c.join();
      for (Map<String, Object> epoch : c.epochs()) {
        @SuppressWarnings("unchecked")
        List<String> proposals = (List<String>) epoch.get("proposals");
        for (String hex : proposals) {
          state = state.withProposal(publicMessage(hex));
          if (state.pendingProposals() == 2) {
            return state;
          }
        }
        state = state.withCommit(publicMessage((String) epoch.get("commit")));
      }
    }
    throw new AssertionError("no epoch in the vectors has two proposals by reference");
  }

  private static byte[] proposalsVector(List<Map.Entry<String, PublicGroupState.AcceptedProposal>> proposals) {
    return new MlsWriter().vector(proposals, (e, w) -> {
      w.opaque(HexFormat.of().parseHex(e.getKey()));
      e.getValue().proposal().encode(w);
      e.getValue().sender().encode(w);
    }).toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** The state stored and loaded again: the same bytes, GroupContext, hashes and pending proposals. */
  private static PublicGroupState storedAndLoaded(PublicGroupState state) throws MlsDecodeException {
    byte[] stored = state.toBytes();
    PublicGroupState loaded = PublicGroupState.fromBytes(stored, KEY_PACKAGES);
    assertSameState(state, loaded);
    assertArrayEquals(stored, loaded.toBytes());
    return loaded;
  }

  private static void assertSameState(PublicGroupState expected, PublicGroupState actual) {
    assertArrayEquals(expected.toBytes(), actual.toBytes());
    assertArrayEquals(expected.groupContext().toBytes(), actual.groupContext().toBytes());
    assertArrayEquals(expected.interimTranscriptHash(), actual.interimTranscriptHash());
    assertArrayEquals(expected.tree().treeHash(), actual.tree().treeHash());
    assertArrayEquals(expected.groupContext().treeHash(), actual.tree().treeHash());
    assertEquals(expected.tree().leafCount(), actual.tree().leafCount());
    assertEquals(expected.pendingProposals(), actual.pendingProposals());
  }

  private static PublicMessage publicMessage(String hex) throws MlsDecodeException {
    return (PublicMessage) MlsMessage.decode(TestVectors.hex(hex)).body();
  }

  private static int lastLeaf(PublicGroupState state) {
    int leaf = state.tree().leafCount() - 1;
    while (state.tree().node(TreeMath.nodeOfLeaf(leaf)).isEmpty()) {
      leaf--;
    }
    return leaf;
  }

  /** Where {@code needle} first occurs in {@code haystack}; it must occur. */
  private static int indexOf(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    throw new AssertionError("not in the stored bytes");
  }
}
