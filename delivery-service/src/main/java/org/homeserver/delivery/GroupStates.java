package org.homeserver.delivery;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.group.PublicGroupState;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.tree.PublicTree;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.jdbi.v3.core.Handle;

/**
 * The public MLS state of each hosted group ({@code V11__group_states.sql}), read and written under
 * the group's row lock, with the member map its leaves' credentials give. The states last read or
 * written are kept in memory, each under the random version it was stored with: a copy is used only
 * while the database holds that version, so processes sharing the database never act on a stale
 * one, and reading a group's state costs one small query when it is cached.
 */
final class GroupStates {
  /** A group's state as stored, and who sits in each of its leaves. */
  record Followed(long version, PublicGroupState state, MemberMap members) {}

  /**
   * Cached states, weighed by their stored size (about 200 bytes a member; a state in memory, with
   * its tree hashes and objects, takes a few times that).
   */
  private static final long CACHE_BYTES = 64L * 1024 * 1024;

  private final KeyPackageValidator keyPackages;
  private final Function<LeafNode, Optional<String>> clientOf;
  private final Cache<ByteString, Cached> cache = Caffeine.newBuilder()
      .maximumWeight(CACHE_BYTES)
      .weigher((ByteString id, Cached c) -> c.size())
      .build();

  private record Cached(Followed followed, int size) {}

  /**
   * @param keyPackages what KeyPackages of Add proposals must pass
   * @param clientOf the client a leaf's credential names
   */
  GroupStates(KeyPackageValidator keyPackages, Function<LeafNode, Optional<String>> clientOf) {
    this.keyPackages = keyPackages;
    this.clientOf = clientOf;
  }

  /** What KeyPackages of Add proposals must pass, as the operator configured it. */
  KeyPackageValidator keyPackages() {
    return keyPackages;
  }

  /** The group's state, read in a transaction that holds the group's row lock; empty if it has none. */
  Optional<Followed> read(Handle h, byte[] groupId) {
    ByteString key = ByteString.copyFrom(groupId);
    Optional<Long> version = h.createQuery("select version from group_states where group_id = :id")
        .bind("id", groupId).mapTo(Long.class).findOne();
    if (version.isEmpty()) {
      return Optional.empty();
    }
    Cached cached = cache.getIfPresent(key);
    if (cached != null && cached.followed().version() == version.get()) {
      return Optional.of(cached.followed());
    }
    byte[] stored = h.createQuery("select state from group_states where group_id = :id")
        .bind("id", groupId).mapTo(byte[].class).one();
    PublicGroupState state;
    try {
      state = PublicGroupState.fromBytes(stored, keyPackages);
    } catch (MlsDecodeException e) {
      throw new IllegalStateException("the stored state of a group does not load", e);
    }
    return Optional.of(remember(key, new Followed(version.get(), state, members(state)), stored.length));
  }

  /** Stores the state of a group created in this transaction. */
  Followed insert(Handle h, byte[] groupId, PublicGroupState state) {
    byte[] bytes = state.toBytes();
    long version = ThreadLocalRandom.current().nextLong();
    h.createUpdate("insert into group_states (group_id, version, state) values (:id, :version, :state)")
        .bind("id", groupId).bind("version", version).bind("state", bytes).execute();
    return remember(ByteString.copyFrom(groupId), new Followed(version, state, members(state)), bytes.length);
  }

  /** Replaces the state of a group this transaction has locked by {@code state}, whose leaves {@code members} names. */
  Followed update(Handle h, byte[] groupId, PublicGroupState state, MemberMap members) {
    byte[] bytes = state.toBytes();
    long version = ThreadLocalRandom.current().nextLong();
    h.createUpdate("update group_states set version = :version, state = :state where group_id = :id")
        .bind("id", groupId).bind("version", version).bind("state", bytes).execute();
    return remember(ByteString.copyFrom(groupId), new Followed(version, state, members), bytes.length);
  }

  /** Who sits in each leaf of {@code state}'s tree, by the client its credential names. */
  MemberMap members(PublicGroupState state) {
    return members(state, leaf -> Optional.empty());
  }

  /**
   * Who sits in each leaf of {@code next}, the state after {@code before}: a leaf node carried over
   * unchanged (the same object: states share what they do not change) keeps its client, so only the
   * credentials of new leaves are read.
   */
  MemberMap members(Followed before, PublicGroupState next) {
    PublicTree old = before.state().tree();
    return members(next, leaf -> old.leaf(leaf.index()).filter(node -> node == leaf.node())
        .flatMap(unchanged -> before.members().occupant(leaf.index())));
  }

  private record IndexedLeaf(int index, LeafNode node) {}

  private MemberMap members(PublicGroupState state, Function<IndexedLeaf, Optional<String>> known) {
    PublicTree tree = state.tree();
    List<Optional<String>> leaves = new ArrayList<>(tree.leafCount());
    for (int i = 0; i < tree.leafCount(); i++) {
      int index = i;
      leaves.add(tree.leaf(i).map(node -> known.apply(new IndexedLeaf(index, node))
          .or(() -> clientOf.apply(node))
          .orElseThrow(() -> new IllegalStateException("a leaf of a followed group names no client"))));
    }
    return new MemberMap(leaves);
  }

  // A state cached by a transaction that then rolls back is never used: its version is never stored.
  private Followed remember(ByteString key, Followed followed, int size) {
    cache.put(key, new Cached(followed, size));
    return followed;
  }
}
