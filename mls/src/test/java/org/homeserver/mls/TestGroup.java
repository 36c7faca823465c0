package org.homeserver.mls;

import static org.homeserver.mls.tree.TreeMath.isInSubtree;
import static org.homeserver.mls.tree.TreeMath.left;
import static org.homeserver.mls.tree.TreeMath.nodeOfLeaf;
import static org.homeserver.mls.tree.TreeMath.right;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.homeserver.mls.TestKeyPackages.SigningKey;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsWriter;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.HashReferences;
import org.homeserver.mls.group.GroupStateException;
import org.homeserver.mls.group.PublicGroupState;
import org.homeserver.mls.group.TreeEdit;
import org.homeserver.mls.message.Capabilities;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.Extension;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.GroupContext;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.HpkeCiphertext;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.message.RatchetTree.Leaf;
import org.homeserver.mls.message.RatchetTree.Parent;
import org.homeserver.mls.message.Sender;
import org.homeserver.mls.message.WireFormat;
import org.homeserver.mls.tree.InvalidTreeException;
import org.homeserver.mls.tree.PublicTree;
import org.homeserver.mls.validation.KeyPackageValidator;

/**
 * A god's-eye MLS client of one group, for tests and benchmarks: the group's public state and, for
 * each member a test names with its signing key, the messages that member would send, really signed,
 * so that a server checking what a member checks (RFC 9420 sections 6, 7, 12) accepts them: the
 * GroupInfo and tree of epoch 0, commits with UpdatePaths whose parent hashes chain, proposals,
 * Updates, external joins, the GroupInfo of each new epoch. What only members can check (membership
 * and confirmation tags, HPKE keys and ciphertexts, Welcome secrets) is random bytes of the right
 * length. Every commit is checked against the state before it is handed out; one the state refuses
 * (a test's deliberately bad one) cannot be applied.
 *
 * <pre>{@code
 * TestGroup group = TestGroup.create(suite, groupId, alice, now);   // send group.groupInfo(), group.ratchetTree()
 * TestGroup.Pending add = group.commit(alice, new Proposal.Add(bobsKeyPackage));
 * // send add.commit() with add.welcome() (and add.groupInfo()); once accepted:
 * group.apply(add);
 * }</pre>
 *
 * Methods are synchronized, so racing tests can share one group.
 */
public final class TestGroup {
  private static final SecureRandom RANDOM = new SecureRandom();
  /** KeyPackage lifetimes are the server's to judge; this state takes any, so tests with odd clocks still build. */
  private static final KeyPackageValidator ANY_LIFETIME = new KeyPackageValidator(EnumSet.allOf(CipherSuite.class),
      Duration.ofDays(365L * 1000), Clock.systemUTC());

  /** A client as the group sees it: its signature key pair and its credential. */
  public record Member(SigningKey key, Credential credential) {
    /** A fresh key of {@code suite}'s scheme with a basic credential of {@code identity}. */
    public static Member generate(CipherSuite suite, String identity) {
      return new Member(SigningKey.generate(suite.signatureScheme()), TestKeyPackages.basic(identity));
    }

    public byte[] signatureKey() {
      return key.publicKey();
    }
  }

  /**
   * A commit built at {@code epoch}, not applied yet: the commit (an MLSMessage PublicMessage), the
   * Welcome of the KeyPackages it adds (null if none), the GroupInfo of the new epoch signed by the
   * committer, and the new state; the last two are absent (null, empty) for a commit the state refuses.
   */
  public record Pending(byte[] commit, byte[] welcome, byte[] groupInfo, long epoch, Optional<PublicGroupState> next) {
    public PublicMessage message() {
      return publicMessage(commit);
    }
  }

  /** A proposal accepted in the epoch, for commits that name it by reference. */
  private record Accepted(Proposal proposal, long senderLeaf) {}

  private final CipherSuite suite;
  private final Map<String, Accepted> accepted = new HashMap<>();
  private PublicGroupState state;
  private byte[] groupInfo;
  private List<Extension> groupInfoExtensions;

  private TestGroup(PublicGroupState state, byte[] groupInfo, List<Extension> groupInfoExtensions) {
    this.suite = state.suite();
    this.state = state;
    this.groupInfo = groupInfo;
    this.groupInfoExtensions = groupInfoExtensions;
  }

  /**
   * Epoch 0 of group {@code groupId} with {@code creator} alone at leaf 0, its leaf node as in a
   * KeyPackage of lifetime around {@code now} (as OpenMLS and ts-mls make it); the GroupInfo carries an
   * external_pub extension with a random key.
   */
  public static TestGroup create(CipherSuite suite, byte[] groupId, Member creator, Instant now) {
    return create(suite, groupId, creator, now,
        List.of(new Extension(Extension.EXTERNAL_PUB, new MlsWriter().opaque(random(suite.hpkePublicKeyLength()))
            .toByteArray())));
  }

  /** As {@link #create(CipherSuite, byte[], Member, Instant)}, with {@code groupInfoExtensions} in every GroupInfo. */
  public static TestGroup create(CipherSuite suite, byte[] groupId, Member creator, Instant now,
      List<Extension> groupInfoExtensions) {
    LeafNode leaf = TestKeyPackages.create(suite, creator.credential(), creator.key(), now).leafNode();
    RatchetTree tree = new RatchetTree(List.of(Optional.of(new Leaf(leaf))));
    try {
      GroupContext context = new GroupContext(MlsMessage.MLS10, suite.code(), groupId, 0,
          PublicTree.of(suite, tree).treeHash(), new byte[0], List.of());
      GroupInfo info = signedGroupInfo(context, groupInfoExtensions, random(suite.hashLength()), 0, creator.key());
      PublicGroupState state = PublicGroupState.fromGroupInfo(info, Optional.of(tree), ANY_LIFETIME);
      return new TestGroup(state, message(info), List.copyOf(groupInfoExtensions));
    } catch (InvalidTreeException | GroupStateException e) {
      throw new IllegalArgumentException("the creator's leaf does not make a valid group: " + e.getMessage(), e);
    }
  }

  /** A test group over {@code state}, built elsewhere (from test vectors): no GroupInfo of its epoch is known. */
  public static TestGroup following(PublicGroupState state) {
    return new TestGroup(state, null, List.of());
  }

  public CipherSuite suite() {
    return suite;
  }

  public synchronized byte[] groupId() {
    return state.groupContext().groupId();
  }

  public synchronized long epoch() {
    return state.epoch();
  }

  public synchronized PublicGroupState state() {
    return state;
  }

  /** The GroupInfo of the current epoch (an MLSMessage), signed by the member that made the epoch. */
  public synchronized byte[] groupInfo() {
    return groupInfo;
  }

  /** The ratchet tree of the current epoch as a ratchet_tree extension holds it: {@code optional<Node> ratchet_tree<V>}. */
  public synchronized byte[] ratchetTree() {
    PublicTree tree = state.tree();
    int width = tree.nodeWidth();
    while (tree.node(width - 1).isEmpty()) {
      width--;
    }
    List<Optional<RatchetTree.Node>> nodes = new ArrayList<>(width);
    for (int x = 0; x < width; x++) {
      nodes.add(tree.node(x));
    }
    return new RatchetTree(nodes).toBytes();
  }

  /** Sets the extensions of the GroupInfos signed from now on. */
  public synchronized void setGroupInfoExtensions(List<Extension> extensions) {
    this.groupInfoExtensions = List.copyOf(extensions);
  }

  /** The leaf of {@code member}, found by its signature key. */
  public synchronized long leafOf(Member member) {
    return leafOf(member.signatureKey());
  }

  /** The leaf whose signature key is {@code signatureKey}; IllegalArgumentException if none is. */
  public synchronized long leafOf(byte[] signatureKey) {
    return leafOf(state, signatureKey);
  }

  /** A commit by {@code by} of {@code byValue}, with an UpdatePath where RFC 9420 section 12.4 requires one. */
  public synchronized Pending commit(Member by, Proposal... byValue) {
    return commit(by, byValue(byValue), false);
  }

  /** A commit by {@code by} of {@code proposals}, by value or by reference, with an UpdatePath where required. */
  public synchronized Pending commit(Member by, List<Commit.ProposalOrRef> proposals) {
    return commit(by, proposals, false);
  }

  /** A commit by {@code by} of {@code byValue} with an UpdatePath, required or not. */
  public synchronized Pending commitWithPath(Member by, Proposal... byValue) {
    return commit(by, byValue(byValue), true);
  }

  /**
   * An external commit (sender new_member_commit, section 12.4.3.2) by {@code joiner}: an ExternalInit
   * with a random kem_output, the Remove of its old leaf if given, and its UpdatePath.
   */
  public synchronized Pending externalJoin(Member joiner, OptionalInt removeOwnOldLeaf) {
    List<Commit.ProposalOrRef> proposals = new ArrayList<>();
    removeOwnOldLeaf.ifPresent(leaf -> proposals.add(new Commit.ByValue(new Proposal.Remove(leaf))));
    return externalJoin(joiner, proposals);
  }

  /**
   * An external commit by {@code joiner} covering {@code proposals} (its Removes by value are applied)
   * and then an ExternalInit with a random kem_output; a test may pass what no joiner should.
   */
  public synchronized Pending externalJoin(Member joiner, List<Commit.ProposalOrRef> proposals) {
    TreeEdit edit = new TreeEdit(state.tree());
    for (Commit.ProposalOrRef p : proposals) {
      if (p instanceof Commit.ByValue(Proposal.Remove r) && edit.leaf(r.removed()).isPresent()) {
        edit.remove(r.removed());
      }
    }
    List<Commit.ProposalOrRef> all = new ArrayList<>(proposals);
    all.add(new Commit.ByValue(new Proposal.ExternalInit(random(suite.hpkePublicKeyLength()))));
    Capabilities capabilities = new Capabilities(List.of(MlsMessage.MLS10), List.of(suite.code()), List.of(),
        List.of(), List.of(joiner.credential().type()));
    LeafNode template = new LeafNode(random(suite.hpkePublicKeyLength()), joiner.signatureKey(), joiner.credential(),
        capabilities, new LeafNode.CommitSource(new byte[0]), List.of(), new byte[0]);
    int leaf = edit.add(template);
    Commit.UpdatePath path = path(toTree(edit), leaf, joiner, template, Set.of());
    return pending(new Sender.NewMemberCommit(), new Commit(all, Optional.of(path)), joiner, List.of());
  }

  /** A proposal by member {@code by}, signed, as a PublicMessage (an MLSMessage). */
  public synchronized byte[] proposal(Member by, Proposal proposal) {
    FramedContent content = new FramedContent(groupId(), epoch(), new Sender.Member(leafOf(by)), new byte[0],
        new FramedContent.ProposalBody(proposal));
    return message(new PublicMessage(content, sign(content, by.key()), Optional.empty(),
        Optional.of(random(suite.hashLength()))));
  }

  /** An Update proposal by {@code by}: its leaf with a fresh encryption key, source update, signed for its leaf. */
  public synchronized byte[] update(Member by) {
    long leaf = leafOf(by);
    LeafNode current = leafNode(leaf);
    LeafNode unsigned = new LeafNode(random(suite.hpkePublicKeyLength()), by.signatureKey(), by.credential(),
        current.capabilities(), new LeafNode.UpdateSource(), current.extensions(), new byte[0]);
    return proposal(by, new Proposal.Update(signed(unsigned, by.key(), leaf)));
  }

  /** Records the proposal {@code proposalMessage} (made here) as accepted in the epoch, for commits by reference. */
  public synchronized void accept(byte[] proposalMessage) {
    PublicMessage message = publicMessage(proposalMessage);
    try {
      state = state.withProposal(message);
    } catch (GroupStateException e) {
      throw new IllegalArgumentException("the group refuses the proposal: " + e.getMessage(), e);
    }
    Proposal proposal = ((FramedContent.ProposalBody) message.content().body()).proposal();
    accepted.put(HexFormat.of().formatHex(ref(proposalMessage)),
        new Accepted(proposal, ((Sender.Member) message.content().sender()).leafIndex()));
  }

  /** The ProposalRef (section 5.2) of a proposal message. */
  public byte[] ref(byte[] proposalMessage) {
    return HashReferences.proposalRef(suite, publicMessage(proposalMessage).authenticatedContent());
  }

  /** Moves the group on to the epoch {@code pending} makes; it must have been built at the current epoch. */
  public synchronized void apply(Pending pending) {
    if (pending.epoch() != state.epoch() || pending.next().isEmpty()) {
      throw new IllegalStateException("a commit of epoch " + pending.epoch() + (pending.next().isEmpty()
          ? " that the group refuses" : "") + " cannot move the group on from epoch " + state.epoch());
    }
    state = pending.next().get();
    groupInfo = pending.groupInfo();
    accepted.clear();
    notifyAll();
  }

  /** Waits until another thread has moved the group on to at least {@code epoch}. */
  public synchronized void awaitEpoch(long epoch, Duration timeout) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (state.epoch() < epoch) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new TimeoutException("the group is at epoch " + state.epoch() + ", not " + epoch);
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  /**
   * {@code message} (a PublicMessage) with its sender and epoch replaced and signed by {@code signer}
   * over the current GroupContext: wrong framing under a signature that is really the signer's.
   */
  public synchronized byte[] reframed(byte[] message, Member signer, Sender sender, long epoch) {
    PublicMessage original = publicMessage(message);
    FramedContent c = original.content();
    FramedContent content = new FramedContent(c.groupId(), epoch, sender, c.authenticatedData(), c.body());
    Optional<byte[]> membershipTag = sender instanceof Sender.Member
        ? Optional.of(random(suite.hashLength())) : Optional.empty();
    return message(new PublicMessage(content, sign(content, signer.key()), original.confirmationTag(), membershipTag));
  }

  private Pending commit(Member by, List<Commit.ProposalOrRef> proposals, boolean forcePath) {
    long committer = leafOf(by);
    List<Accepted> covered = new ArrayList<>();
    for (Commit.ProposalOrRef p : proposals) {
      switch (p) {
        case Commit.ByValue(Proposal proposal) -> covered.add(new Accepted(proposal, committer));
        // An unknown reference changes nothing here; the test sending it expects a refusal.
        case Commit.ByReference(byte[] ref) -> Optional.ofNullable(accepted.get(HexFormat.of().formatHex(ref)))
            .ifPresent(covered::add);
      }
    }
    TreeEdit edit = new TreeEdit(state.tree());
    for (Accepted a : covered) {
      if (a.proposal() instanceof Proposal.Update u) {
        edit.update(a.senderLeaf(), u.leafNode());
      }
    }
    for (Accepted a : covered) {
      if (a.proposal() instanceof Proposal.Remove r && edit.leaf(r.removed()).isPresent()) {
        edit.remove(r.removed());
      }
    }
    List<KeyPackage> added = new ArrayList<>();
    Set<Integer> addedNodes = new HashSet<>();
    for (Accepted a : covered) {
      if (a.proposal() instanceof Proposal.Add add) {
        added.add(add.keyPackage());
        addedNodes.add(nodeOfLeaf(edit.add(add.keyPackage().leafNode())));
      }
    }
    boolean pathRequired = forcePath || covered.isEmpty() || covered.stream().anyMatch(a ->
        a.proposal() instanceof Proposal.Update || a.proposal() instanceof Proposal.Remove
        || a.proposal() instanceof Proposal.GroupContextExtensions);
    Optional<Commit.UpdatePath> path = pathRequired
        ? Optional.of(path(toTree(edit), (int) committer, by, leafNode(committer), addedNodes)) : Optional.empty();
    return pending(new Sender.Member(committer), new Commit(proposals, path), by, added);
  }

  /**
   * The UpdatePath of {@code by} at {@code leaf} of {@code afterProposals} (sections 7.5, 7.6, 7.9):
   * fresh keys on its filtered direct path, parent hashes chained from the root down to its new leaf
   * (source commit, signed for its leaf), and for each path node one ciphertext per node of the
   * copath child's resolution that is not a leaf this commit adds.
   */
  private Commit.UpdatePath path(PublicTree afterProposals, int leaf, Member by, LeafNode current,
      Set<Integer> addedNodes) {
    int x = nodeOfLeaf(leaf);
    List<Integer> filtered = afterProposals.filteredDirectPath(x);
    List<Commit.UpdatePathNode> nodes = new ArrayList<>();
    byte[] parentHash = new byte[0];
    for (int i = filtered.size() - 1; i >= 0; i--) {
      int p = filtered.get(i);
      int copathChild = isInSubtree(x, left(p)) ? right(p) : left(p);
      byte[] key = random(suite.hpkePublicKeyLength());
      List<HpkeCiphertext> secrets = afterProposals.resolution(copathChild).stream()
          .filter(n -> !addedNodes.contains(n))
          .map(n -> new HpkeCiphertext(random(suite.hpkePublicKeyLength()), random(suite.hashLength() + 16)))
          .toList();
      nodes.addFirst(new Commit.UpdatePathNode(key, secrets));
      parentHash = afterProposals.parentHash(new Parent(key, parentHash, List.of()), copathChild);
    }
    LeafNode unsigned = new LeafNode(random(suite.hpkePublicKeyLength()), by.signatureKey(), by.credential(),
        current.capabilities(), new LeafNode.CommitSource(parentHash), current.extensions(), new byte[0]);
    return new Commit.UpdatePath(signed(unsigned, by.key(), leaf), nodes);
  }

  /** The signed commit, checked against the state, with its Welcome and the GroupInfo of the new epoch. */
  private Pending pending(Sender sender, Commit commit, Member by, List<KeyPackage> added) {
    FramedContent content = new FramedContent(groupId(), epoch(), sender, new byte[0],
        new FramedContent.CommitBody(commit));
    byte[] confirmationTag = random(suite.hashLength());
    Optional<byte[]> membershipTag = sender instanceof Sender.Member
        ? Optional.of(random(suite.hashLength())) : Optional.empty();
    PublicMessage message = new PublicMessage(content, sign(content, by.key()), Optional.of(confirmationTag),
        membershipTag);
    byte[] welcome = added.isEmpty() ? null : TestMessages.welcome(suite, added);
    PublicGroupState next;
    try {
      next = state.withCommit(message);
    } catch (GroupStateException refused) {
      return new Pending(message(message), welcome, null, epoch(), Optional.empty());
    }
    GroupInfo info = signedGroupInfo(next.groupContext(), groupInfoExtensions, confirmationTag,
        leafOf(next, by.signatureKey()), by.key());
    return new Pending(message(message), welcome, message(info), epoch(), Optional.of(next));
  }

  private byte[] sign(FramedContent content, SigningKey key) {
    MlsWriter tbs = new MlsWriter().u16(MlsMessage.MLS10).u16(WireFormat.PUBLIC_MESSAGE.code());
    content.encode(tbs);
    if (content.sender() instanceof Sender.Member || content.sender() instanceof Sender.NewMemberCommit) {
      state.groupContext().encode(tbs);
    }
    return key.signWithLabel("FramedContentTBS", tbs.toByteArray());
  }

  private LeafNode signed(LeafNode unsigned, SigningKey key, long leaf) {
    return new LeafNode(unsigned.encryptionKey(), unsigned.signatureKey(), unsigned.credential(),
        unsigned.capabilities(), unsigned.source(), unsigned.extensions(),
        key.signWithLabel("LeafNodeTBS", unsigned.toBeSigned(groupId(), leaf)));
  }

  private LeafNode leafNode(long leaf) {
    return ((Leaf) state.tree().node(nodeOfLeaf((int) leaf)).orElseThrow()).leafNode();
  }

  private static long leafOf(PublicGroupState state, byte[] signatureKey) {
    PublicTree tree = state.tree();
    for (int leaf = 0; leaf < tree.leafCount(); leaf++) {
      if (tree.node(nodeOfLeaf(leaf)).orElse(null) instanceof Leaf(LeafNode node)
          && Arrays.equals(node.signatureKey(), signatureKey)) {
        return leaf;
      }
    }
    throw new IllegalArgumentException("no leaf of epoch " + state.epoch() + " has signature key "
        + HexFormat.of().formatHex(signatureKey));
  }

  private static GroupInfo signedGroupInfo(GroupContext context, List<Extension> extensions, byte[] confirmationTag,
      long signer, SigningKey key) {
    GroupInfo unsigned = new GroupInfo(context, extensions, confirmationTag, signer, new byte[0]);
    return new GroupInfo(context, extensions, confirmationTag, signer,
        key.signWithLabel("GroupInfoTBS", unsigned.toBeSigned()));
  }

  private static PublicTree toTree(TreeEdit edit) {
    try {
      return edit.toTree();
    } catch (InvalidTreeException e) {
      throw new IllegalStateException("the proposals leave no valid tree: " + e.getMessage(), e);
    }
  }

  private static List<Commit.ProposalOrRef> byValue(Proposal... proposals) {
    return Arrays.stream(proposals).<Commit.ProposalOrRef>map(Commit.ByValue::new).toList();
  }

  private static byte[] message(MlsMessage.Body body) {
    return new MlsMessage(MlsMessage.MLS10, body).toBytes();
  }

  private static PublicMessage publicMessage(byte[] message) {
    try {
      return (PublicMessage) MlsMessage.decode(message).body();
    } catch (MlsDecodeException | ClassCastException e) {
      throw new IllegalArgumentException("not a PublicMessage: " + e.getMessage(), e);
    }
  }

  private static byte[] random(int n) {
    byte[] bytes = new byte[n];
    RANDOM.nextBytes(bytes);
    return bytes;
  }
}
