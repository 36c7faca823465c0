package org.homeserver.delivery;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.group.PublicGroupState;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.tree.PublicTree;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.homeserver.platform.db.SqlArrays;
import org.jdbi.v3.core.Handle;

/**
 * The public MLS state of each hosted group ({@code V11__group_states.sql}: a head, and the tree's
 * nodes in rows of their own, of which a commit rewrites those it changed), read and written under
 * the group's row lock, with the member map its leaves' credentials give. The states last read or
 * written are kept in memory, each under the random version it was stored with: a copy is used only
 * while the database holds that version, so processes sharing the database never act on a stale
 * one, and reading a group's state costs one small query when it is cached.
 */
final class GroupStates {
  /** A group's state as stored, and who sits in each of its leaves. */
  record Followed(long version, PublicGroupState state, MemberMap members) {}

  /**
   * Cached states, weighed by what they store: about {@link #BYTES_PER_LEAF} a leaf (a state in
   * memory, with its tree hashes and objects, takes a few times that).
   */
  private static final long CACHE_BYTES = 64L * 1024 * 1024;
  /** A leaf and its parent as stored, with the AS's certificate chain, about. */
  private static final int BYTES_PER_LEAF = 1_400;

  private final KeyPackageValidator keyPackages;
  private final Function<LeafNode, Optional<String>> clientOf;
  private final Cache<ByteString, Followed> cache = Caffeine.newBuilder()
      .maximumWeight(CACHE_BYTES)
      .weigher((ByteString id, Followed f) -> f.state().tree().leafCount() * BYTES_PER_LEAF)
      .build();

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
    Followed cached = cache.getIfPresent(key);
    if (cached != null && cached.version() == version.get()) {
      return Optional.of(cached);
    }
    byte[] head = h.createQuery("select head from group_states where group_id = :id")
        .bind("id", groupId).mapTo(byte[].class).one();
    SortedMap<Integer, byte[]> nodes = new TreeMap<>();
    h.createQuery("select node_index, node from group_state_nodes where group_id = :id")
        .bind("id", groupId)
        .map((rs, ctx) -> Map.entry(rs.getInt("node_index"), rs.getBytes("node")))
        .forEach(node -> nodes.put(node.getKey(), node.getValue()));
    PublicGroupState state;
    try {
      state = PublicGroupState.fromStoredParts(new PublicGroupState.StoredParts(head, nodes), keyPackages);
    } catch (MlsDecodeException e) {
      throw new IllegalStateException("the stored state of a group does not load", e);
    }
    return Optional.of(remember(key, new Followed(version.get(), state, members(state, Optional.empty()))));
  }

  /** Stores the state of a group created in this transaction. */
  Followed insert(Handle h, byte[] groupId, PublicGroupState state) {
    PublicGroupState.StoredParts parts = state.toStoredParts();
    long version = ThreadLocalRandom.current().nextLong();
    h.createUpdate("insert into group_states (group_id, version, head) values (:id, :version, :head)")
        .bind("id", groupId).bind("version", version).bind("head", parts.head()).execute();
    setNodes(h, groupId, parts.nodes());
    return remember(ByteString.copyFrom(groupId), new Followed(version, state, members(state, Optional.empty())));
  }

  /**
   * Replaces the state of a group this transaction has locked, {@code before}, by {@code state} (made
   * from it), whose leaves {@code members} names: the head, and only the nodes that changed.
   */
  Followed update(Handle h, byte[] groupId, Followed before, PublicGroupState state, MemberMap members) {
    byte[] head = state.storedHead();
    PublicGroupState.NodeChanges changes = state.nodesChangedSince(before.state());
    long version = ThreadLocalRandom.current().nextLong();
    h.createUpdate("update group_states set version = :version, head = :head where group_id = :id")
        .bind("id", groupId).bind("version", version).bind("head", head).execute();
    setNodes(h, groupId, changes.set());
    if (!changes.removed().isEmpty()) {
      h.createUpdate("delete from group_state_nodes where group_id = :id and node_index = any(:nodes)")
          .bind("id", groupId).bindArray("nodes", Integer.class, List.copyOf(changes.removed())).execute();
    }
    return remember(ByteString.copyFrom(groupId), new Followed(version, state, members));
  }

  private static void setNodes(Handle h, byte[] groupId, SortedMap<Integer, byte[]> nodes) {
    if (nodes.isEmpty()) {
      return;
    }
    h.createUpdate("""
            insert into group_state_nodes (group_id, node_index, node)
            select :id, t.x, t.node from unnest(:indices, :nodes) as t(x, node)
            on conflict (group_id, node_index) do update set node = excluded.node""")
        .bind("id", groupId)
        .bindArray("indices", Integer.class, List.copyOf(nodes.keySet()))
        .bind("nodes", SqlArrays.bytea(List.copyOf(nodes.values())))
        .execute();
  }

  /**
   * Who sits in each leaf of {@code state}'s tree, by the client its credential names. With
   * {@code before}, the state {@code state} was made from, a leaf node carried over unchanged (the
   * same object: states share what they do not change) keeps its client, so only the credentials of
   * new leaves are read.
   */
  MemberMap members(PublicGroupState state, Optional<Followed> before) {
    PublicTree tree = state.tree();
    List<Optional<String>> leaves = new ArrayList<>(tree.leafCount());
    for (int i = 0; i < tree.leafCount(); i++) {
      int index = i;
      leaves.add(tree.leaf(i).map(node -> before
          .filter(b -> b.state().tree().leaf(index).filter(old -> old == node).isPresent())
          .flatMap(b -> b.members().occupant(index))
          .or(() -> clientOf.apply(node))
          .orElseThrow(() -> new IllegalStateException("a leaf of a followed group names no client"))));
    }
    return new MemberMap(leaves);
  }

  // A state cached by a transaction that then rolls back is never used: its version is never stored.
  private Followed remember(ByteString key, Followed followed) {
    cache.put(key, followed);
    return followed;
  }
}
