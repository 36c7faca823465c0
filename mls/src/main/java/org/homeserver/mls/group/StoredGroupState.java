package org.homeserver.mls.group;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.GroupContext;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.message.Sender;
import org.homeserver.mls.tree.InvalidTreeException;
import org.homeserver.mls.tree.PublicTree;
import org.homeserver.mls.tree.TreeMath;
import org.homeserver.mls.validation.KeyPackageValidator;

/**
 * The stored form of a {@link PublicGroupState}, in RFC 9420's presentation language:
 *
 * <pre>
 * struct {
 *   uint8 format_version = 1;
 *   CipherSuite cipher_suite;
 *   GroupContext group_context;
 *   opaque interim_transcript_hash&lt;V&gt;;
 *   optional&lt;Node&gt; ratchet_tree&lt;V&gt;;        // trailing blank nodes truncated
 *   struct {
 *     ProposalRef proposal_ref;               // opaque&lt;V&gt;, the suite's hash length
 *     Proposal proposal;
 *     Sender sender;
 *   } accepted_proposals&lt;V&gt;;              // by proposal_ref, ascending, no repeats
 * } StoredGroupState;
 * </pre>
 *
 * One state has one encoding, so two states can be compared by their bytes.
 *
 * <p>The split form ({@link PublicGroupState.StoredParts}) keeps the same fields with the tree's
 * nodes apart, so that a store rewrites per commit only the nodes it changed: a head of format
 * version 2 whose {@code ratchet_tree} is replaced by {@code uint32 node_count} (the tree's width
 * without trailing blanks), and each non-blank node by its index, encoded as the ratchet tree
 * encodes a node (node_type, then the LeafNode or ParentNode).
 */
final class StoredGroupState {
  static final int FORMAT_VERSION = 1;
  static final int SPLIT_FORMAT_VERSION = 2;
  private static final String NAME = "stored_group_state";

  private StoredGroupState() {}

  static byte[] encode(PublicGroupState state) {
    MlsWriter w = start(FORMAT_VERSION, state);
    ratchetTree(state.tree()).encode(w);
    writeProposals(state, w);
    return w.toByteArray();
  }

  static PublicGroupState.StoredParts encodeParts(PublicGroupState state) {
    RatchetTree tree = ratchetTree(state.tree());
    SortedMap<Integer, byte[]> nodes = new TreeMap<>();
    for (int x = 0; x < tree.nodes().size(); x++) {
      int index = x;
      tree.nodes().get(x).ifPresent(node -> nodes.put(index, nodeBytes(node)));
    }
    return new PublicGroupState.StoredParts(encodeHead(state), Collections.unmodifiableSortedMap(nodes));
  }

  /** The split form's head: everything but the tree's nodes, and how many there are. */
  static byte[] encodeHead(PublicGroupState state) {
    MlsWriter w = start(SPLIT_FORMAT_VERSION, state);
    w.u32(sentWidth(state.tree()));
    writeProposals(state, w);
    return w.toByteArray();
  }

  /** Both forms' first fields: the format version, the suite, the GroupContext, the interim hash. */
  private static MlsWriter start(int formatVersion, PublicGroupState state) {
    MlsWriter w = new MlsWriter().u8(formatVersion).u16(state.suite().code());
    state.groupContext().encode(w);
    return w.opaque(state.interimTranscriptHash());
  }

  /**
   * The nodes whose stored bytes differ from {@code before}'s: those {@code after} holds that are not
   * the very nodes {@code before} held at the index (states share the nodes a change did not touch),
   * and the indices {@code after} no longer holds a node at.
   */
  static PublicGroupState.NodeChanges changes(PublicGroupState before, PublicGroupState after) {
    PublicTree old = before.tree();
    PublicTree now = after.tree();
    SortedMap<Integer, byte[]> set = new TreeMap<>();
    SortedSet<Integer> removed = new TreeSet<>();
    for (int x = 0; x < Math.max(old.nodeWidth(), now.nodeWidth()); x++) {
      Optional<RatchetTree.Node> was = x < old.nodeWidth() ? old.node(x) : Optional.empty();
      Optional<RatchetTree.Node> is = x < now.nodeWidth() ? now.node(x) : Optional.empty();
      if (is.isPresent() && (was.isEmpty() || was.get() != is.get())) {
        set.put(x, nodeBytes(is.get()));
      } else if (is.isEmpty() && was.isPresent()) {
        removed.add(x);
      }
    }
    return new PublicGroupState.NodeChanges(Collections.unmodifiableSortedMap(set),
        Collections.unmodifiableSortedSet(removed));
  }

  private static byte[] nodeBytes(RatchetTree.Node node) {
    MlsWriter w = new MlsWriter();
    RatchetTree.encodeNode(node, w);
    return w.toByteArray();
  }

  private static void writeProposals(PublicGroupState state, MlsWriter w) {
    List<Map.Entry<String, PublicGroupState.AcceptedProposal>> accepted =
        new ArrayList<>(state.acceptedProposals().entrySet());
    accepted.sort(Map.Entry.comparingByKey());
    w.vector(accepted, (e, x) -> {
      x.opaque(HexFormat.of().parseHex(e.getKey()));
      e.getValue().proposal().encode(x);
      e.getValue().sender().encode(x);
    });
  }

  static PublicGroupState decode(byte[] stored, KeyPackageValidator keyPackages) throws MlsDecodeException {
    return MlsReader.decodeAll(stored, NAME, r -> decode(r, keyPackages));
  }

  private static PublicGroupState decode(MlsReader r, KeyPackageValidator keyPackages) throws MlsDecodeException {
    return decode(r, FORMAT_VERSION, (x, suite) -> x.struct("ratchet_tree", RatchetTree::decode), keyPackages);
  }

  static PublicGroupState decodeParts(PublicGroupState.StoredParts parts, KeyPackageValidator keyPackages)
      throws MlsDecodeException {
    return MlsReader.decodeAll(parts.head(), NAME, r -> decode(r, SPLIT_FORMAT_VERSION, (x, suite) -> {
      int countAt = x.position();
      long count = x.u32("node_count");
      if (count > TreeMath.nodeWidth(TreeMath.MAX_LEAVES) || (!parts.nodes().isEmpty()
          && (parts.nodes().firstKey() < 0 || parts.nodes().lastKey() >= count))) {
        throw x.errorAt("node_count", countAt, "the tree has " + count + " nodes, but nodes "
            + parts.nodes().keySet() + " are stored");
      }
      List<Optional<RatchetTree.Node>> nodes = new ArrayList<>(Collections.nCopies((int) count, Optional.empty()));
      for (Map.Entry<Integer, byte[]> node : parts.nodes().entrySet()) {
        nodes.set(node.getKey(), Optional.of(MlsReader.decodeAll(node.getValue(), "nodes[" + node.getKey() + "]",
            RatchetTree::decodeNode)));
      }
      return new RatchetTree(nodes);
    }, keyPackages));
  }

  /** Reads the stored tree's nodes, after the fields before it. */
  private interface TreeReader {
    RatchetTree read(MlsReader r, CipherSuite suite) throws MlsDecodeException;
  }

  private static PublicGroupState decode(MlsReader r, int expectedVersion, TreeReader treeReader,
      KeyPackageValidator keyPackages) throws MlsDecodeException {
    int start = r.position();
    int version = r.u8("format_version");
    if (version != expectedVersion) {
      throw r.errorAt("format_version", start, "format version " + version + " is not " + expectedVersion
          + ", the only one this build reads" + (expectedVersion == FORMAT_VERSION ? "" : " in parts"));
    }
    int suiteAt = r.position();
    int code = r.u16("cipher_suite");
    CipherSuite suite = CipherSuite.fromCode(code).orElseThrow(() -> r.errorAt("cipher_suite", suiteAt,
        "cipher suite " + code + " is not RFC 9420's"));
    int contextAt = r.position();
    GroupContext context = r.struct("group_context", GroupContext::decode);
    if (context.cipherSuite() != code || context.version() != MlsMessage.MLS10) {
      throw r.errorAt("group_context", contextAt, "the GroupContext is of suite " + context.cipherSuite()
          + " and version " + context.version() + ", not suite " + code + " and mls10");
    }
    int interimAt = r.position();
    byte[] interim = r.opaque("interim_transcript_hash");
    if (interim.length != suite.hashLength()) {
      throw r.errorAt("interim_transcript_hash", interimAt, "is " + interim.length + " bytes, not the suite's "
          + suite.hashLength());
    }
    int treeAt = r.position();
    PublicTree tree = tree(r, treeReader.read(r, suite), suite, context, treeAt);
    Map<String, PublicGroupState.AcceptedProposal> proposals = new HashMap<>();
    String[] last = {""};
    r.vector("accepted_proposals", x -> {
      int refAt = x.position();
      byte[] ref = x.opaque("proposal_ref");
      String key = HexFormat.of().formatHex(ref);
      if (ref.length != suite.hashLength() || key.compareTo(last[0]) <= 0) {
        throw x.errorAt("proposal_ref", refAt, "a ProposalRef of " + ref.length + " bytes, or not after the one"
            + " before it; refs are the suite's " + suite.hashLength() + " bytes, ascending, each once");
      }
      last[0] = key;
      proposals.put(key, new PublicGroupState.AcceptedProposal(x.struct("proposal", Proposal::decode),
          x.struct("sender", Sender::decode)));
      return key;
    });
    return new PublicGroupState(suite, context, interim, tree, proposals, keyPackages);
  }

  /**
   * The stored tree, rebuilt with its tree hashes and held to the GroupContext's tree hash; a
   * mismatch means the stored bytes were damaged, since every state was built from a checked tree.
   */
  private static PublicTree tree(MlsReader r, RatchetTree nodes, CipherSuite suite, GroupContext context, int treeAt)
      throws MlsDecodeException {
    PublicTree tree;
    try {
      tree = PublicTree.of(suite, nodes);
    } catch (InvalidTreeException e) {
      throw r.errorAt("ratchet_tree", treeAt, e.getMessage());
    }
    if (!Arrays.equals(tree.treeHash(), context.treeHash())) {
      throw r.errorAt("ratchet_tree", treeAt, "the tree hashes to " + HexFormat.of().formatHex(tree.treeHash())
          + ", not to the GroupContext's tree_hash " + HexFormat.of().formatHex(context.treeHash())
          + ": the stored state is damaged");
    }
    return tree;
  }

  /** The tree as RFC 9420 sends it: its nodes without the trailing blanks that pad it to full width. */
  static RatchetTree ratchetTree(PublicTree tree) {
    int width = sentWidth(tree);
    List<Optional<RatchetTree.Node>> nodes = new ArrayList<>(width);
    for (int x = 0; x < width; x++) {
      nodes.add(tree.node(x));
    }
    return new RatchetTree(nodes);
  }

  /** The tree's width without its trailing blank nodes, as RFC 9420 sends it. */
  private static int sentWidth(PublicTree tree) {
    int width = tree.nodeWidth();
    while (width > 0 && tree.node(width - 1).isEmpty()) {
      width--;
    }
    return width;
  }
}
