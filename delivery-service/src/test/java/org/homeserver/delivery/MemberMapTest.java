package org.homeserver.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.homeserver.delivery.MemberMap.Add;
import org.homeserver.delivery.MemberMap.ExternalJoin;
import org.homeserver.delivery.MemberMap.Member;
import org.homeserver.delivery.MemberMap.Remove;
import org.homeserver.delivery.MemberMap.Update;
import org.homeserver.delivery.MembershipException.Reason;
import org.junit.jupiter.api.Test;

class MemberMapTest {

  // "-" marks a blank leaf.
  private static MemberMap map(String... leaves) {
    return new MemberMap(Arrays.stream(leaves).map(l -> l.equals("-") ? Optional.<String>empty() : Optional.of(l))
        .toList());
  }

  @Test
  void aNewGroupHasItsCreatorInLeafZero() {
    MemberMap group = MemberMap.create("alice");
    assertEquals(1, group.size());
    assertEquals(Optional.of("alice"), group.occupant(0));
    assertEquals(OptionalLong.of(0), group.leafOf("alice"));
    assertEquals(List.of(new Member(0, "alice")), group.members());
  }

  @Test
  void addsFillHolesLeftToRightThenExtendTheTreeToTheNextPowerOfTwo() throws MembershipException {
    MemberMap group = map("a", "-", "c", "-");

    MemberMap after = group.apply(List.of(new Add("x"), new Add("y"), new Add("z")));

    assertEquals(map("a", "x", "c", "y", "z", "-", "-", "-"), after);
    assertEquals(8, after.size());
    assertEquals(OptionalLong.of(4), after.leafOf("z"));
    assertEquals(Optional.empty(), after.occupant(5));
  }

  @Test
  void removalThenReAddingFillsTheHole() throws MembershipException {
    MemberMap group = map("a", "b", "c");

    MemberMap removed = group.apply(List.of(new Remove(1)));
    assertEquals(Optional.empty(), removed.occupant(1));
    assertEquals(4, removed.size());

    MemberMap readded = removed.apply(List.of(new Add("b")));
    assertEquals(group, readded);
    assertEquals(OptionalLong.of(1), readded.leafOf("b"));
  }

  @Test
  void removesComeBeforeAddsWhateverTheirOrderInTheCommit() throws MembershipException {
    MemberMap group = map("a", "b");

    MemberMap after = group.apply(List.of(new Add("c"), new Update(), new Remove(1), new Add("b")));

    assertEquals(map("a", "c", "b", "-"), after);
  }

  @Test
  void removingTheLastLeavesTruncatesTheTree() throws MembershipException {
    MemberMap group = map("a", "b", "-", "d", "e", "f");

    MemberMap after = group.apply(List.of(new Remove(5), new Remove(4), new Remove(3)));

    assertEquals(2, after.size());
    assertEquals(map("a", "b"), after);
    assertEquals(Optional.empty(), after.occupant(3));
    assertEquals(3, after.apply(List.of(new Add("x"), new Add("y"))).leafOf("y").getAsLong());
  }

  @Test
  void anUpdateChangesNothing() throws MembershipException {
    MemberMap group = map("a", "-", "c");
    assertEquals(group, group.apply(List.of(new Update())));
  }

  @Test
  void anExternalJoinWithAResyncRemoveRejoinsTheLeftmostBlankLeaf() throws MembershipException {
    MemberMap group = map("a", "-", "c", "d");

    MemberMap after = group.apply(List.of(new ExternalJoin("d"), new Remove(3)));

    assertEquals(map("a", "d", "c"), after);
    assertEquals(4, after.size());
  }

  @Test
  void anExternalJoinWithoutRemoveExtendsAFullTree() throws MembershipException {
    assertEquals(map("a", "b", "x"), map("a", "b").apply(List.of(new ExternalJoin("x"))));
  }

  @Test
  void anExternalJoinMayOnlyRemoveTheJoinersOwnLeaf() {
    MemberMap group = map("a", "b", "c");
    var e = assertThrows(MembershipException.class,
        () -> group.apply(List.of(new Remove(1), new ExternalJoin("c"))));
    assertEquals(Reason.INVALID_PROPOSAL_LIST, e.reason());
  }

  @Test
  void anExternalJoinOfAPresentClientWithoutResyncIsRefused() {
    var e = assertThrows(MembershipException.class, () -> map("a", "b").apply(List.of(new ExternalJoin("b"))));
    assertEquals(Reason.ALREADY_MEMBER, e.reason());
  }

  @Test
  void removingABlankOrOutOfRangeLeafIsRefusedAndChangesNothing() {
    MemberMap group = map("a", "-", "c");
    for (long leaf : new long[] {1, 3, 4, 99, -1}) {
      var e = assertThrows(MembershipException.class, () -> group.apply(List.of(new Add("x"), new Remove(leaf))));
      assertEquals(Reason.LEAF_NOT_OCCUPIED, e.reason(), "leaf " + leaf);
    }
    assertEquals(map("a", "-", "c"), group);
  }

  @Test
  void removingTheSameLeafTwiceIsRefused() {
    var e = assertThrows(MembershipException.class,
        () -> map("a", "b").apply(List.of(new Remove(1), new Remove(1))));
    assertEquals(Reason.LEAF_NOT_OCCUPIED, e.reason());
  }

  @Test
  void addingAPresentClientIsRefusedUnlessTheSameCommitRemovesIt() throws MembershipException {
    MemberMap group = map("a", "b");
    var e = assertThrows(MembershipException.class, () -> group.apply(List.of(new Add("b"))));
    assertEquals(Reason.ALREADY_MEMBER, e.reason());
    var twice = assertThrows(MembershipException.class, () -> group.apply(List.of(new Add("c"), new Add("c"))));
    assertEquals(Reason.ALREADY_MEMBER, twice.reason());

    assertEquals(group, group.apply(List.of(new Remove(1), new Add("b"))));
  }

  @Test
  void theMapIsKeptTruncatedAndPaddedToAPowerOfTwo() {
    assertEquals(map("a", "-", "c", "-"), map("a", "-", "c", "-", "-", "-", "-", "-"));
    assertEquals(4, map("a", "-", "c").size());
    assertEquals(0, map("-", "-").size());
    assertThrows(IllegalArgumentException.class, () -> map("a", "a"));
  }
}
