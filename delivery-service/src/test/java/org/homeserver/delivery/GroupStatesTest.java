package org.homeserver.delivery;

import static org.homeserver.delivery.GroupFixture.id;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.SignatureScheme;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.homeserver.platform.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Group states stored in the real PostgreSQL and cached per process: two {@link GroupStates} on one
 * database stand for two processes; a copy is used only while the database holds its version.
 */
class GroupStatesTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final byte[] GROUP = id("group-states");

  private GroupFixture f;
  private TestGroup group;
  private TestGroup.Member alice;

  @BeforeEach
  void start() {
    f = GroupFixture.start();
    alice = member("alice");
    group = TestGroup.create(SUITE, GROUP, alice, Instant.now());
    f.groups.create(GROUP, SUITE.code(), "alice");
  }

  @AfterEach
  void stop() {
    f.close();
  }

  private static TestGroup.Member member(String name) {
    return new TestGroup.Member(TestKeyPackages.SigningKey.generate(SignatureScheme.ED25519),
        TestKeyPackages.basic(name));
  }

  /** The member map names each leaf by its basic credential's identity. */
  private static GroupStates states() {
    return new GroupStates(new KeyPackageValidator(EnumSet.allOf(CipherSuite.class), Duration.ofHours(1),
        new MutableClock()), leaf -> Optional.of(new String(((Credential.Basic) leaf.credential()).identity(),
        StandardCharsets.UTF_8)));
  }

  private GroupStates.Followed read(GroupStates states) {
    return f.store.inTransaction(h -> states.read(h, GROUP)).orElseThrow();
  }

  @Test
  void aStateReadsBackWithTheMembersItsLeavesName() {
    GroupStates states = states();
    f.store.inTransaction(h -> states.insert(h, GROUP, group.state()));
    GroupStates.Followed followed = read(states());
    assertArrayEquals(group.state().toBytes(), followed.state().toBytes());
    assertEquals(new MemberMap(List.of(Optional.of("alice"))), followed.members());
    assertTrue(f.store.inTransaction(h -> states().read(h, id("no-such-group"))).isEmpty());
  }

  @Test
  void eachProcessSeesTheStateTheOtherWroteLast() {
    GroupStates first = states();
    GroupStates second = states();
    f.store.inTransaction(h -> first.insert(h, GROUP, group.state()));
    GroupStates.Followed atZero = read(second);
    assertSame(atZero, read(second), "unchanged, the cached copy is used");

    TestGroup.Pending add = group.commit(alice, new Proposal.Add(TestKeyPackages.create(SUITE,
        TestKeyPackages.basic("bob"), TestKeyPackages.SigningKey.generate(SignatureScheme.ED25519), Instant.now())));
    group.apply(add);
    GroupStates.Followed stored = read(first);
    f.store.inTransaction(h -> first.update(h, GROUP, stored, group.state(),
        first.members(group.state(), Optional.of(stored))));

    GroupStates.Followed seen = read(second);
    assertEquals(1, seen.state().epoch());
    assertEquals(new MemberMap(List.of(Optional.of("alice"), Optional.of("bob"))), seen.members());
  }

  @Test
  void aStateWrittenByATransactionThatRolledBackIsNeverUsed() {
    GroupStates states = states();
    f.store.inTransaction(h -> states.insert(h, GROUP, group.state()));
    TestGroup.Pending next = group.commit(alice);
    GroupStates.Followed before = read(states);
    AtomicReference<GroupStates.Followed> written = new AtomicReference<>();
    assertThrows(IllegalStateException.class, () -> f.store.inTransaction(h -> {
      written.set(states.update(h, GROUP, before, next.next().orElseThrow(), before.members()));
      throw new IllegalStateException("rolled back");
    }));
    assertEquals(1, written.get().state().epoch());
    assertEquals(0, read(states).state().epoch(), "the cached copy of the rolled-back write is not the stored one");
  }

  @Test
  void aCommitsMemberMapReadsOnlyTheLeavesItChanged() {
    GroupStates states = states();
    GroupStates.Followed created = f.store.inTransaction(h -> states.insert(h, GROUP, group.state()));
    group.apply(group.commit(alice, new Proposal.Add(TestKeyPackages.create(SUITE, TestKeyPackages.basic("bob"),
        TestKeyPackages.SigningKey.generate(SignatureScheme.ED25519), Instant.now()))));
    // A map that names alice differently shows which leaves were read again: only bob's new one.
    GroupStates.Followed renamed = new GroupStates.Followed(created.version(), created.state(),
        new MemberMap(List.of(Optional.of("alice-as-known"))));
    assertEquals(new MemberMap(List.of(Optional.of("alice-as-known"), Optional.of("bob"))),
        states.members(group.state(), Optional.of(renamed)));
  }
}
