package org.homeserver.mls.group;

import static org.homeserver.mls.tree.TreeMath.isInSubtree;
import static org.homeserver.mls.tree.TreeMath.left;
import static org.homeserver.mls.tree.TreeMath.nodeOfLeaf;
import static org.homeserver.mls.tree.TreeMath.right;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.TranscriptHashes;
import org.homeserver.mls.message.AuthenticatedContent;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.ConfirmedTranscriptHashInput;
import org.homeserver.mls.message.Extension;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.GroupContext;
import org.homeserver.mls.message.InterimTranscriptHashInput;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.RatchetTree.Leaf;
import org.homeserver.mls.message.RatchetTree.Parent;
import org.homeserver.mls.message.Sender;
import org.homeserver.mls.tree.InvalidTreeException;
import org.homeserver.mls.tree.PublicTree;
import org.homeserver.mls.tree.TreeValidator;

/**
 * A receiver's processing of a commit (RFC 9420 section 12.4.2), a member's or an external
 * joiner's (section 12.4.3.2), without the epoch's secrets: the proposals resolved and checked as a
 * list (section 12.2), applied in section 12.3's order, the UpdatePath merged with its parent hashes
 * checked (sections 7.5 and 7.9.2), the new keys checked unique, then the next epoch's GroupContext
 * and transcript hashes (section 8.2). The confirmation tag enters the interim transcript hash
 * unchecked: its key is secret.
 *
 * <p>Leaves are held to section 7.3 in the group's context as they come ({@link ProposalCheck}), and
 * new GroupContext extensions to what every member supports (section 12.1.7). What a credential must
 * name is the application's to check. An UpdatePath must carry one encrypted path secret per node
 * that should receive one (section 7.6); what they hold only their recipients can open.
 */
final class CommitApplication {
  private final PublicGroupState state;
  private final CipherSuite suite;

  /** A proposal the commit covers, and who proposed it (the committer for one by value). */
  private record Covered(Proposal proposal, Sender sender) {}

  CommitApplication(PublicGroupState state) {
    this.state = state;
    this.suite = state.suite();
  }

  PublicGroupState apply(AuthenticatedContent authenticated) throws GroupStateException {
    FramedContent content = authenticated.content();
    Commit commit = ((FramedContent.CommitBody) content.body()).commit();
    List<Covered> covered = resolve(commit, content.sender());
    boolean external = switch (content.sender()) {
      case Sender.Member(long committer) -> {
        checkList(covered, committer);
        yield false;
      }
      case Sender.NewMemberCommit n -> {
        checkExternalList(commit, covered);
        yield true;
      }
      default -> throw new GroupStateException(GroupRule.SENDER, "a commit comes from a member or a new member, not "
          + content.sender());
    };
    boolean pathRequired = external || covered.isEmpty() || covered.stream().anyMatch(c ->
        c.proposal() instanceof Proposal.Update || c.proposal() instanceof Proposal.Remove
        || c.proposal() instanceof Proposal.GroupContextExtensions);
    if (pathRequired && commit.path().isEmpty()) {
      throw new GroupStateException(GroupRule.UPDATE_PATH, "the commit has no UpdatePath, which an external or empty"
          + " commit, or one with Update, Remove or GroupContextExtensions proposals, needs");
    }

    List<Extension> extensions = state.groupContext().extensions();
    TreeEdit edit = new TreeEdit(state.tree());
    // The nodes of the leaves this commit adds: they get the path secrets through the Welcome.
    Set<Integer> added = new HashSet<>();
    for (Covered c : covered) {
      if (c.proposal() instanceof Proposal.GroupContextExtensions gce) {
        extensions = gce.extensions();
      }
    }
    for (Covered c : covered) {
      if (c.proposal() instanceof Proposal.Update update) {
        edit.update(((Sender.Member) c.sender()).leafIndex(), update.leafNode());
      }
    }
    for (Covered c : covered) {
      if (c.proposal() instanceof Proposal.Remove remove) {
        edit.remove(remove.removed());
      }
    }
    for (Covered c : covered) {
      if (c.proposal() instanceof Proposal.Add add) {
        added.add(nodeOfLeaf(edit.add(add.keyPackage().leafNode())));
      }
    }
    long committer = switch (content.sender()) {
      case Sender.Member m -> m.leafIndex();
      // Section 12.4.3.2: the joiner's leaf goes where an Add would put it, after the Removes.
      default -> edit.add(commit.path().orElseThrow().leafNode());
    };
    PublicTree tree;
    try {
      tree = edit.toTree();
      if (commit.path().isPresent()) {
        tree = mergePath(tree, commit.path().get(), committer, added);
      }
      // The tree was valid and every leaf and path node this commit brings was checked as it was
      // merged (signatures, parent hashes), so only the new keys' uniqueness is left (sections 7.3,
      // 12.4.3.1): as a member, not revalidating every leaf signature per commit.
      TreeValidator.checkUniqueKeys(tree);
    } catch (InvalidTreeException e) {
      throw PublicGroupState.tree(e);
    }
    if (extensions != state.groupContext().extensions()) {
      ProposalCheck.checkExtensionsSupported(tree, extensions);
    }

    GroupContext before = state.groupContext();
    byte[] confirmed = TranscriptHashes.confirmed(suite, state.interimTranscriptHash(),
        ConfirmedTranscriptHashInput.of(authenticated).toBytes());
    byte[] interim = TranscriptHashes.interim(suite, confirmed, InterimTranscriptHashInput.of(authenticated).toBytes());
    GroupContext next = new GroupContext(before.version(), before.cipherSuite(), before.groupId(), before.epoch() + 1,
        tree.treeHash(), confirmed, extensions);
    return new PublicGroupState(suite, next, interim, tree, Map.of(), state.keyPackages());
  }

  /** The proposals the commit covers: by value, or by reference to one accepted in this epoch. */
  private List<Covered> resolve(Commit commit, Sender committer) throws GroupStateException {
    List<Covered> covered = new ArrayList<>();
    ProposalCheck check = new ProposalCheck(state);
    for (Commit.ProposalOrRef p : commit.proposals()) {
      switch (p) {
        case Commit.ByValue(Proposal proposal) -> {
          if (!(proposal instanceof Proposal.ExternalInit && committer instanceof Sender.NewMemberCommit)) {
            check.checkAlone(proposal, committer);
          }
          covered.add(new Covered(proposal, committer));
        }
        case Commit.ByReference(byte[] ref) when committer instanceof Sender.NewMemberCommit ->
            throw new GroupStateException(GroupRule.PROPOSAL, "an external commit covers no proposal by reference");
        case Commit.ByReference(byte[] ref) -> {
          PublicGroupState.AcceptedProposal accepted = state.accepted(ref).orElseThrow(() -> new GroupStateException(
              GroupRule.PROPOSAL_REFERENCE, "no proposal with reference " + HexFormat.of().formatHex(ref)
              + " was accepted in this epoch"));
          covered.add(new Covered(accepted.proposal(), accepted.sender()));
        }
      }
    }
    return covered;
  }

  /** Section 12.2: the list as a whole, for a member's commit. */
  private void checkList(List<Covered> covered, long committer) throws GroupStateException {
    Set<Long> changedLeaves = new HashSet<>();
    Set<String> psks = new HashSet<>();
    int contextExtensions = 0;
    for (Covered c : covered) {
      switch (c.proposal()) {
        case Proposal.Update u -> {
          long leaf = ((Sender.Member) c.sender()).leafIndex();
          if (leaf == committer) {
            throw new GroupStateException(GroupRule.PROPOSAL, "the commit covers an Update of the committer's own leaf");
          }
          requireOnce(changedLeaves, leaf);
        }
        case Proposal.Remove r -> {
          if (r.removed() == committer) {
            throw new GroupStateException(GroupRule.PROPOSAL, "the commit removes the committer");
          }
          requireOnce(changedLeaves, r.removed());
        }
        case Proposal.PreSharedKey psk -> {
          if (!psks.add(HexFormat.of().formatHex(psk.psk().toBytes()))) {
            throw new GroupStateException(GroupRule.PROPOSAL, "the commit covers the same PSK twice");
          }
        }
        case Proposal.GroupContextExtensions gce -> {
          if (++contextExtensions > 1) {
            throw new GroupStateException(GroupRule.PROPOSAL, "the commit covers two GroupContextExtensions");
          }
        }
        case Proposal.ExternalInit init -> throw new GroupStateException(GroupRule.PROPOSAL,
            "a member's commit cannot cover an ExternalInit");
        default -> { }
      }
    }
  }

  /**
   * Section 12.2 for an external commit: exactly one ExternalInit, otherwise only Removes (of the
   * joiner's old self) and PSKs, all by value. Its kem_output cannot be checked without the
   * group's external private key.
   */
  private static void checkExternalList(Commit commit, List<Covered> covered) throws GroupStateException {
    long inits = covered.stream().filter(c -> c.proposal() instanceof Proposal.ExternalInit).count();
    if (inits != 1) {
      throw new GroupStateException(GroupRule.PROPOSAL, "an external commit covers exactly one ExternalInit, not "
          + inits);
    }
    for (Covered c : covered) {
      if (!(c.proposal() instanceof Proposal.ExternalInit || c.proposal() instanceof Proposal.Remove
          || c.proposal() instanceof Proposal.PreSharedKey)) {
        throw new GroupStateException(GroupRule.PROPOSAL, "an external commit covers only ExternalInit, Remove and PSK"
            + " proposals, not a " + c.proposal().getClass().getSimpleName());
      }
    }
    Set<Long> removed = new HashSet<>();
    for (Covered c : covered) {
      if (c.proposal() instanceof Proposal.Remove r) {
        requireOnce(removed, r.removed());
      }
    }
  }

  private static void requireOnce(Set<Long> changedLeaves, long leaf) throws GroupStateException {
    if (!changedLeaves.add(leaf)) {
      throw new GroupStateException(GroupRule.PROPOSAL, "the commit updates or removes leaf " + leaf + " twice");
    }
  }

  /**
   * Sections 7.5 and 12.4.2: the committer's new leaf (source commit, signed for its index) in place,
   * its direct path blanked, the path's keys set on its filtered direct path with no unmerged leaves
   * and parent hashes from the root down, and the leaf's parent_hash the one those nodes give.
   */
  private PublicTree mergePath(PublicTree afterProposals, Commit.UpdatePath path, long committer, Set<Integer> added)
      throws GroupStateException, InvalidTreeException {
    LeafNode leaf = path.leafNode();
    new ProposalCheck(state).checkLeaf(leaf, LeafNode.CommitSource.class, committer);
    int x = nodeOfLeaf((int) committer);
    List<Integer> filtered = afterProposals.filteredDirectPath(x);
    if (filtered.size() != path.nodes().size()) {
      throw new GroupStateException(GroupRule.UPDATE_PATH, "the UpdatePath has " + path.nodes().size()
          + " nodes; the committer's filtered direct path has " + filtered.size());
    }
    // Section 7.6: one encrypted path secret for each node of the copath child's resolution, the
    // added leaves left out; a member with none could not follow the group.
    for (int i = 0; i < filtered.size(); i++) {
      int p = filtered.get(i);
      int copathChild = isInSubtree(x, left(p)) ? right(p) : left(p);
      long recipients = afterProposals.resolution(copathChild).stream().filter(n -> !added.contains(n)).count();
      int given = path.nodes().get(i).encryptedPathSecret().size();
      if (given != recipients) {
        throw new GroupStateException(GroupRule.UPDATE_PATH, "the UpdatePath's node " + i + " carries " + given
            + " encrypted path secrets; the resolution of its copath child " + copathChild + " has " + recipients
            + " nodes to receive one");
      }
    }
    TreeEdit edit = new TreeEdit(afterProposals);
    edit.set(x, new Leaf(leaf));
    edit.blankDirectPath(x);
    // Each parent hash reads only the copath child's subtree, which the path leaves as it was.
    byte[] parentHash = new byte[0];
    for (int i = filtered.size() - 1; i >= 0; i--) {
      int p = filtered.get(i);
      Parent parent = new Parent(path.nodes().get(i).encryptionKey(), parentHash, List.of());
      edit.set(p, parent);
      parentHash = afterProposals.parentHash(parent, isInSubtree(x, left(p)) ? right(p) : left(p));
    }
    byte[] claimed = ((LeafNode.CommitSource) leaf.source()).parentHash();
    if (!Arrays.equals(claimed, parentHash)) {
      throw new GroupStateException(GroupRule.PARENT_HASH, "the committer's leaf has parent_hash "
          + HexFormat.of().formatHex(claimed) + "; its new path gives " + HexFormat.of().formatHex(parentHash));
    }
    return edit.toTree();
  }
}
