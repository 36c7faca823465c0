package org.homeserver.delivery;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.homeserver.delivery.MemberMap.Change;
import org.homeserver.delivery.MembershipException.Reason;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.Commit.ByReference;
import org.homeserver.mls.message.Commit.ByValue;
import org.homeserver.mls.message.Commit.ProposalOrRef;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.Sender;

/**
 * The membership changes a decoded commit makes, for {@link MemberMap#apply}: proposals resolved by
 * value or by reference, added clients named by their KeyPackage, external commits (RFC 9420 section
 * 12.4.3.2) turned into an optional resync Remove and the joiner. Proposals that do not touch
 * membership (PreSharedKey, GroupContextExtensions, ReInit, unknown types) yield nothing.
 */
public final class CommitChanges {
  private final Function<KeyPackage, String> clientOfKeyPackage;

  /** {@code clientOfKeyPackage} names the client an Add's KeyPackage credential belongs to. */
  public CommitChanges(Function<KeyPackage, String> clientOfKeyPackage) {
    this.clientOfKeyPackage = clientOfKeyPackage;
  }

  /**
   * The changes of {@code commit} sent by {@code sender}. {@code authenticatedClient} is the client the
   * caller authenticated as: it names the joiner of an external commit. {@code acceptedProposals} maps a
   * ProposalRef to the proposal accepted under it earlier in this epoch.
   */
  public List<Change> of(Commit commit, Sender sender, String authenticatedClient,
      Function<byte[], Optional<Proposal>> acceptedProposals) throws MembershipException {
    return switch (sender) {
      case Sender.Member(long leafIndex) -> ofMemberCommit(commit, leafIndex, acceptedProposals);
      case Sender.NewMemberCommit() -> ofExternalCommit(commit, authenticatedClient);
      case Sender.External e -> throw invalid("an external sender cannot commit");
      case Sender.NewMemberProposal p -> throw invalid("a new_member_proposal sender cannot commit");
    };
  }

  private List<Change> ofMemberCommit(Commit commit, long committer,
      Function<byte[], Optional<Proposal>> acceptedProposals) throws MembershipException {
    var changes = new ArrayList<Change>();
    for (ProposalOrRef entry : commit.proposals()) {
      Proposal proposal = switch (entry) {
        case ByValue(Proposal p) -> p;
        case ByReference(byte[] ref) -> acceptedProposals.apply(ref).orElseThrow(() -> new MembershipException(
            Reason.UNKNOWN_PROPOSAL, "no proposal " + HexFormat.of().formatHex(ref) + " was accepted in this epoch"));
      };
      // RFC 9420 section 12.2: the committer updates itself through the path and never removes itself.
      switch (proposal) {
        case Proposal.Add add -> changes.add(new MemberMap.Add(clientOfKeyPackage.apply(add.keyPackage())));
        case Proposal.Update u when entry instanceof ByValue ->
            throw invalid("the committer's own Update must be carried in the path, not by value");
        case Proposal.Update u -> changes.add(new MemberMap.Update());
        case Proposal.Remove(long removed) when removed == committer ->
            throw invalid("the committer cannot remove its own leaf " + removed);
        case Proposal.Remove(long removed) -> changes.add(new MemberMap.Remove(removed));
        case Proposal.ExternalInit e -> throw invalid("ExternalInit belongs only in an external commit");
        default -> { }
      }
    }
    return List.copyOf(changes);
  }

  // RFC 9420 section 12.4.3.2: exactly one ExternalInit, at most one Remove (the joiner's old leaf), any
  // PreSharedKeys, nothing else and nothing by reference; the path is required.
  private List<Change> ofExternalCommit(Commit commit, String joiner) throws MembershipException {
    if (commit.path().isEmpty()) {
      throw invalid("an external commit must carry a path");
    }
    var changes = new ArrayList<Change>();
    int externalInits = 0;
    for (ProposalOrRef entry : commit.proposals()) {
      if (!(entry instanceof ByValue(Proposal proposal))) {
        throw invalid("an external commit cannot carry proposals by reference");
      }
      switch (proposal) {
        case Proposal.ExternalInit e -> externalInits++;
        case Proposal.Remove(long removed) when changes.isEmpty() -> changes.add(new MemberMap.Remove(removed));
        case Proposal.Remove r -> throw invalid("an external commit removes at most one leaf");
        case Proposal.PreSharedKey p -> { }
        default -> throw invalid("an external commit cannot carry a proposal of type " + proposal.type());
      }
    }
    if (externalInits != 1) {
      throw invalid("an external commit carries exactly one ExternalInit, not " + externalInits);
    }
    changes.add(new MemberMap.ExternalJoin(joiner));
    return List.copyOf(changes);
  }

  private static MembershipException invalid(String message) {
    return new MembershipException(Reason.INVALID_PROPOSAL_LIST, message);
  }
}
