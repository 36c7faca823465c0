package org.homeserver.delivery;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.homeserver.delivery.MembershipException.Reason;

/**
 * Who sits in each leaf of a group's ratchet tree (leaf i is node 2i), kept exactly as RFC 9420 keeps
 * the tree's leaves: adds take the leftmost blank leaf or extend the tree (section 7.7), removes blank
 * the leaf and truncate (section 7.8). The list always spans the tree's full width, a power of two, and
 * is truncated: its right half holds at least one occupant.
 */
public record MemberMap(List<Optional<String>> leaves) {
  public static final MemberMap EMPTY = new MemberMap(List.of());

  /** One membership change of a commit; {@link #apply} orders them as RFC 9420 section 12.3 does. */
  public sealed interface Change {}

  /** An Update proposal: the leaf keeps its occupant, so the map does not change. */
  public record Update() implements Change {}

  public record Remove(long leafIndex) implements Change {}

  public record Add(String clientId) implements Change {}

  /** The joiner of an external commit, placed like an Add once the proposals are applied. */
  public record ExternalJoin(String clientId) implements Change {}

  /** An occupied leaf. */
  public record Member(long leafIndex, String clientId) {}

  /** The leaves as given, normalised to the tree RFC 9420 would hold: truncated, then padded to a power of two. */
  public MemberMap {
    List<Optional<String>> copy = new ArrayList<>(leaves);
    while (!copy.isEmpty() && copy.getLast().isEmpty()) {
      copy.removeLast();
    }
    var seen = new HashSet<String>();
    for (Optional<String> leaf : copy) {
      if (leaf.isPresent() && !seen.add(leaf.get())) {
        throw new IllegalArgumentException("client " + leaf.get() + " holds two leaves");
      }
    }
    while (copy.size() < width(copy.size())) {
      copy.add(Optional.empty());
    }
    leaves = Collections.unmodifiableList(copy);
  }

  /** A new group: the creator in leaf 0. */
  public static MemberMap create(String creator) {
    return new MemberMap(List.of(Optional.of(creator)));
  }

  /** The client in {@code leafIndex}; empty for a blank leaf or one beyond the tree. */
  public Optional<String> occupant(long leafIndex) {
    return leafIndex >= 0 && leafIndex < leaves.size() ? leaves.get((int) leafIndex) : Optional.empty();
  }

  public OptionalLong leafOf(String clientId) {
    int index = leaves.indexOf(Optional.of(clientId));
    return index < 0 ? OptionalLong.empty() : OptionalLong.of(index);
  }

  /** The occupied leaves, in leaf order. */
  public List<Member> members() {
    var members = new ArrayList<Member>();
    for (int i = 0; i < leaves.size(); i++) {
      int index = i;
      leaves.get(i).ifPresent(client -> members.add(new Member(index, client)));
    }
    return List.copyOf(members);
  }

  /** The tree's leaf count: a power of two, or 0 for a map with no members. */
  public int size() {
    return leaves.size();
  }

  /**
   * The map after one commit's changes, applied in RFC 9420 section 12.3 order whatever their order in
   * the list: updates (no change here), then removes, then adds in list order, then an external joiner.
   * Nothing is changed if any of them is refused.
   */
  public MemberMap apply(List<Change> changes) throws MembershipException {
    List<Optional<String>> next = new ArrayList<>(leaves);
    Optional<String> joiner = externalJoiner(changes);
    for (Change change : changes) {
      if (change instanceof Remove(long leafIndex)) {
        remove(next, leafIndex, joiner);
      }
    }
    for (Change change : changes) {
      if (change instanceof Add(String clientId)) {
        add(next, clientId);
      }
    }
    if (joiner.isPresent()) {
      add(next, joiner.get());
    }
    return new MemberMap(next);
  }

  // An external commit (RFC 9420 section 12.4.3.2) joins one client and may only remove that client's old leaf.
  private Optional<String> externalJoiner(List<Change> changes) throws MembershipException {
    List<String> joiners = new ArrayList<>();
    for (Change change : changes) {
      if (change instanceof ExternalJoin(String clientId)) {
        joiners.add(clientId);
      }
    }
    if (joiners.size() > 1) {
      throw new MembershipException(Reason.INVALID_PROPOSAL_LIST, "an external commit joins one client, not "
          + joiners.size());
    }
    if (!joiners.isEmpty() && changes.stream().anyMatch(c -> c instanceof Add)) {
      throw new MembershipException(Reason.INVALID_PROPOSAL_LIST, "an external commit cannot add members");
    }
    return joiners.stream().findFirst();
  }

  private void remove(List<Optional<String>> next, long leafIndex, Optional<String> joiner)
      throws MembershipException {
    Optional<String> occupant = leafIndex >= 0 && leafIndex < next.size() ? next.get((int) leafIndex)
        : Optional.empty();
    if (occupant.isEmpty()) {
      throw new MembershipException(Reason.LEAF_NOT_OCCUPIED, "leaf " + leafIndex + " is "
          + (leafIndex >= 0 && leafIndex < next.size() ? "blank" : "beyond the tree's " + next.size() + " leaves"));
    }
    if (joiner.isPresent() && !joiner.equals(occupant)) {
      throw new MembershipException(Reason.INVALID_PROPOSAL_LIST, "an external commit by " + joiner.get()
          + " may only remove its own old leaf, not leaf " + leafIndex);
    }
    next.set((int) leafIndex, Optional.empty());
    truncate(next);
  }

  private static void add(List<Optional<String>> next, String clientId) throws MembershipException {
    if (next.contains(Optional.of(clientId))) {
      throw new MembershipException(Reason.ALREADY_MEMBER, "client " + clientId + " already has leaf "
          + next.indexOf(Optional.of(clientId)));
    }
    int blank = next.indexOf(Optional.<String>empty());
    if (blank >= 0) {
      next.set(blank, Optional.of(clientId));
      return;
    }
    // Extending adds a new root over the old one, doubling the width; the new member takes its first new leaf.
    int width = Math.max(1, 2 * next.size());
    next.add(Optional.of(clientId));
    while (next.size() < width) {
      next.add(Optional.empty());
    }
  }

  // RFC 9420 section 7.8: drop the right half while it has no occupant.
  private static void truncate(List<Optional<String>> next) {
    while (!next.isEmpty() && next.subList(next.size() / 2, next.size()).stream().allMatch(Optional::isEmpty)) {
      next.subList(next.size() / 2, next.size()).clear();
    }
  }

  // The width of a truncated tree whose last occupied leaf is count - 1: the smallest power of two >= count.
  private static int width(int count) {
    return count <= 1 ? count : Integer.highestOneBit(count - 1) << 1;
  }
}
