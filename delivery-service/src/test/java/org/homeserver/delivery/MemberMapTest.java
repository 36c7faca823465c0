package org.homeserver.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.homeserver.delivery.MemberMap.Member;
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
  void theMapIsKeptTruncatedAndPaddedToAPowerOfTwo() {
    assertEquals(map("a", "-", "c", "-"), map("a", "-", "c", "-", "-", "-", "-", "-"));
    assertEquals(4, map("a", "-", "c").size());
    assertEquals(0, map("-", "-").size());
    assertThrows(IllegalArgumentException.class, () -> map("a", "a"));
  }
}
