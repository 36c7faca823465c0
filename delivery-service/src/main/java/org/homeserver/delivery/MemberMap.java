package org.homeserver.delivery;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Who sits in each leaf of a group's ratchet tree (leaf i is node 2i), as the leaves' credentials
 * name them ({@link GroupStates#members}). The list always spans the tree's full width, a power of
 * two, and is truncated: its right half holds at least one occupant.
 */
public record MemberMap(List<Optional<String>> leaves) {
  public static final MemberMap EMPTY = new MemberMap(List.of());

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

  // The width of a truncated tree whose last occupied leaf is count - 1: the smallest power of two >= count.
  private static int width(int count) {
    return count <= 1 ? count : Integer.highestOneBit(count - 1) << 1;
  }
}
