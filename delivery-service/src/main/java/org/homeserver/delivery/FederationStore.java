package org.homeserver.delivery;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * The rows of groups across domains (V12__federated_groups.sql): at a hub, the follower domains of
 * a group and what the fan-out sends them; at a follower, its copy of a hub's group and what came
 * early. Every method runs in the caller's transaction, after the group's row is locked where it
 * writes.
 */
final class FederationStore {

  // --- at a hub ---

  /** A follower domain of a hosted group, locked by the fan-out. */
  record Lane(byte[] groupId, String domain, long readsAfter, Optional<Long> readsUntil, long sentThrough,
              Optional<Long> skippedFrom, boolean blocked, long groupLast) {
    /** The last message of the group the domain gets, as things stand. */
    long upTo() {
      return readsUntil.map(u -> Math.min(u, groupLast)).orElse(groupLast);
    }

    /** Whether the domain still has members in the group. */
    boolean active() {
      return readsUntil.isEmpty();
    }
  }

  /** One message of a hosted group's log as the fan-out sends it, with the state after it (a commit). */
  record LogMessage(long sequence, long epoch, java.util.UUID sender, byte[] message, Instant acceptedAt,
                    Optional<byte[]> state, boolean notifies) {}

  /** A Welcome queued for one follower domain (a serialized DeliverWelcomeRequest). */
  record FanOutWelcome(long sequence, byte[] welcome) {}

  /**
   * {@code domain}'s clients came into the group with the message {@code after} (the commit that
   * welcomed them, or just before an external commit that joined them): it gets what follows.
   * A domain that left and comes back keeps what it was still to be sent.
   */
  void joinDomain(Handle h, byte[] groupId, String domain, long after) {
    h.createUpdate("""
            insert into group_domains (group_id, domain, reads_after, sent_through) values (:id, :d, :after, :after - 1)
            on conflict (group_id, domain) do update set reads_after = :after, reads_until = null""")
        .bind("id", groupId).bind("d", domain).bind("after", after).execute();
    h.createUpdate("update groups set federated = true where group_id = :id and not federated")
        .bind("id", groupId).execute();
  }

  /** {@code domain}'s last client left the group with the message {@code until}, which it still gets. */
  void leaveDomain(Handle h, byte[] groupId, String domain, long until) {
    h.createUpdate("update group_domains set reads_until = :until where group_id = :id and domain = :d")
        .bind("id", groupId).bind("d", domain).bind("until", until).execute();
  }

  /** Keeps the group's state after the commit numbered {@code sequence}, for the followers. */
  void putState(Handle h, byte[] groupId, long sequence, byte[] state) {
    h.createUpdate("insert into fanout_states (group_id, sequence, state) values (:id, :s, :state)")
        .bind("id", groupId).bind("s", sequence).bind("state", state).execute();
  }

  /** Keeps the Welcome of the commit numbered {@code sequence} for {@code domain}'s clients. */
  void putWelcome(Handle h, byte[] groupId, long sequence, String domain, byte[] welcome) {
    h.createUpdate("""
            insert into fanout_welcomes (group_id, sequence, domain, welcome) values (:id, :s, :d, :w)""")
        .bind("id", groupId).bind("s", sequence).bind("d", domain).bind("w", welcome).execute();
  }

  private static final String LANE_COLUMNS = """
      d.group_id, d.domain, d.reads_after, d.reads_until, d.sent_through, d.skipped_from, d.blocked,
      g.last_sequence""";

  private static final org.jdbi.v3.core.mapper.RowMapper<Lane> LANE = (rs, ctx) -> new Lane(rs.getBytes("group_id"),
      rs.getString("domain"), rs.getLong("reads_after"), Optional.ofNullable((Long) rs.getObject("reads_until")),
      rs.getLong("sent_through"), Optional.ofNullable((Long) rs.getObject("skipped_from")), rs.getBoolean("blocked"),
      rs.getLong("last_sequence"));

  /** The follower domains of a hosted group, locked for the fan-out; those another process holds are left out. */
  List<Lane> lockLanes(Handle h, byte[] groupId) {
    return h.createQuery("select " + LANE_COLUMNS + """
             from group_domains d join groups g on g.group_id = d.group_id
            where d.group_id = :id and g.hub is null
            order by d.domain for update of d skip locked""")
        .bind("id", groupId).map(LANE).list();
  }

  /** One follower domain of a hosted group, without a lock. */
  Optional<Lane> lane(Handle h, byte[] groupId, String domain) {
    return h.createQuery("select " + LANE_COLUMNS + """
             from group_domains d join groups g on g.group_id = d.group_id
            where d.group_id = :id and d.domain = :d and g.hub is null""")
        .bind("id", groupId).bind("d", domain).map(LANE).findOne();
  }

  /** Records how far the fan-out went for a domain, and whether it skipped or was blocked. */
  void updateLane(Handle h, Lane lane, long sentThrough, Optional<Long> skippedFrom, boolean blocked) {
    h.createUpdate("""
            update group_domains set sent_through = :sent, skipped_from = :skipped, blocked = :blocked
            where group_id = :id and domain = :d""")
        .bind("id", lane.groupId()).bind("d", lane.domain()).bind("sent", sentThrough)
        .bind("skipped", skippedFrom.orElse(null)).bind("blocked", blocked).execute();
  }

  /** Clears what was skipped for a domain once it fetched everything. */
  void clearSkipped(Handle h, byte[] groupId, String domain) {
    h.createUpdate("update group_domains set skipped_from = null where group_id = :id and domain = :d")
        .bind("id", groupId).bind("d", domain).execute();
  }

  /** The domains that follow some hosted group now. */
  List<String> followerDomains(Handle h) {
    return h.createQuery("select distinct domain from group_domains where reads_until is null order by domain")
        .mapTo(String.class).list();
  }

  /**
   * Hosted groups with fan-out work, given the domains the policy forbids now: messages not yet
   * sent, a domain to tell blocked or back, or a skip to make up for; at most {@code limit}.
   */
  List<byte[]> groupsWithWork(Handle h, Collection<String> forbidden, int limit) {
    return h.createQuery("""
            select distinct d.group_id from group_domains d join groups g on g.group_id = d.group_id
            where g.hub is null and (
              d.sent_through < coalesce(least(d.reads_until, g.last_sequence), g.last_sequence)
              or (d.skipped_from is not null and d.domain <> all(:forbidden))
              or (d.blocked and d.domain <> all(:forbidden))
              or (not d.blocked and d.reads_until is null and d.domain = any(:forbidden)))
            limit :limit""")
        .bindArray("forbidden", String.class, List.copyOf(forbidden)).bind("limit", limit)
        .mapTo(byte[].class).list();
  }

  /**
   * The group's log from {@code after} (excluded) to {@code upTo}, with the state after each commit,
   * in order; the entries before the first retained one are simply absent.
   */
  List<LogMessage> messages(Handle h, byte[] groupId, long after, long upTo) {
    return h.createQuery("""
            select l.sequence, l.epoch, l.sender, l.message, l.accepted_at, l.unnotified, s.state
            from group_log l left join fanout_states s on s.group_id = l.group_id and s.sequence = l.sequence
            where l.group_id = :id and l.sequence > :after and l.sequence <= :upTo order by l.sequence""")
        .bind("id", groupId).bind("after", after).bind("upTo", upTo)
        .map((rs, ctx) -> new LogMessage(rs.getLong("sequence"), rs.getLong("epoch"),
            rs.getObject("sender", java.util.UUID.class), rs.getBytes("message"),
            rs.getObject("accepted_at", java.time.OffsetDateTime.class).toInstant(),
            Optional.ofNullable(rs.getBytes("state")), rs.getObject("unnotified") != null))
        .list();
  }

  /** The Welcomes for {@code domain} of the commits after {@code after} up to {@code upTo}, in order. */
  List<FanOutWelcome> welcomes(Handle h, byte[] groupId, String domain, long after, long upTo) {
    return h.createQuery("""
            select sequence, welcome from fanout_welcomes
            where group_id = :id and domain = :d and sequence > :after and sequence <= :upTo order by sequence""")
        .bind("id", groupId).bind("d", domain).bind("after", after).bind("upTo", upTo)
        .map((rs, ctx) -> new FanOutWelcome(rs.getLong("sequence"), rs.getBytes("welcome"))).list();
  }

  /** The first number the group's log still holds; {@code last + 1} when it holds none. */
  long firstRetained(Handle h, byte[] groupId, long last) {
    return h.createQuery("select min(sequence) from group_log where group_id = :id")
        .bind("id", groupId).mapTo(Long.class).findOne().orElse(last + 1);
  }

  // --- at a follower ---

  /** A followed group's row, locked: its hub and the last number applied. */
  record Followed(GroupStore.GroupRow row, long last) {}

  /** The group's row locked FOR UPDATE with its last number, hosted or followed. */
  Optional<Followed> lock(Handle h, byte[] groupId) {
    return read(h, groupId, " for update");
  }

  /** The group's row with its last number, without a lock. */
  Optional<Followed> current(Handle h, byte[] groupId) {
    return read(h, groupId, "");
  }

  private Optional<Followed> read(Handle h, byte[] groupId, String lock) {
    return h.createQuery("""
            select group_id, cipher_suite, epoch, created_at, hub, federated, last_sequence
            from groups where group_id = :id""" + lock)
        .bind("id", groupId)
        .map((rs, ctx) -> new Followed(new GroupStore.GroupRow(rs.getBytes("group_id"), rs.getInt("cipher_suite"),
            rs.getLong("epoch"), rs.getObject("created_at", java.time.OffsetDateTime.class).toInstant(),
            Optional.ofNullable(rs.getString("hub")), rs.getBoolean("federated")), rs.getLong("last_sequence")))
        .findOne();
  }

  /** Starts following a group of {@code hub} with the hub's numbers up to {@code last} behind it. */
  void insertFollowed(Handle h, byte[] groupId, String hub, int cipherSuite, long epoch, Instant createdAt, long last) {
    h.createUpdate("""
            insert into groups (group_id, cipher_suite, epoch, created_at, hub, last_sequence)
            values (:id, :suite, :epoch, :at, :hub, :last)""")
        .bind("id", groupId).bind("suite", cipherSuite).bind("epoch", epoch).bind("at", createdAt)
        .bind("hub", hub).bind("last", last).execute();
  }

  /** Replaces a followed group's copy of the hub's epoch, GroupInfo and ratchet tree. */
  void updateCopy(Handle h, byte[] groupId, long epoch, byte[] groupInfo, byte[] ratchetTree) {
    h.createUpdate("""
            update groups set epoch = :epoch, group_info = :info, ratchet_tree = :tree where group_id = :id""")
        .bind("id", groupId).bind("epoch", epoch).bind("info", groupInfo.length == 0 ? null : groupInfo)
        .bind("tree", ratchetTree.length == 0 ? null : ratchetTree).execute();
  }

  /** The ratchet tree of a followed group's copy. */
  Optional<byte[]> ratchetTree(Handle h, byte[] groupId) {
    return h.createQuery("select ratchet_tree from groups where group_id = :id and ratchet_tree is not null")
        .bind("id", groupId).mapTo(byte[].class).findOne();
  }

  void setLast(Handle h, byte[] groupId, long last) {
    h.createUpdate("update groups set last_sequence = :last where group_id = :id")
        .bind("id", groupId).bind("last", last).execute();
  }

  /** Keeps a delivery that came before its turn (a serialized federation Delivery). */
  void hold(Handle h, byte[] groupId, long sequence, int kind, byte[] delivery) {
    h.createUpdate("""
            insert into held_deliveries (group_id, sequence, kind, delivery) values (:id, :s, :k, :d)
            on conflict do nothing""")
        .bind("id", groupId).bind("s", sequence).bind("k", kind).bind("d", delivery).execute();
  }

  /** A delivery kept aside. */
  record Held(long sequence, int kind, byte[] delivery) {}

  /** The first delivery kept aside for the group, in order of number then kind. */
  Optional<Held> firstHeld(Handle h, byte[] groupId) {
    return h.createQuery("""
            select sequence, kind, delivery from held_deliveries where group_id = :id
            order by sequence, kind limit 1""")
        .bind("id", groupId).map((rs, ctx) -> new Held(rs.getLong("sequence"), rs.getInt("kind"),
            rs.getBytes("delivery"))).findOne();
  }

  void dropHeld(Handle h, byte[] groupId, Held held) {
    h.createUpdate("delete from held_deliveries where group_id = :id and sequence = :s and kind = :k")
        .bind("id", groupId).bind("s", held.sequence()).bind("k", held.kind()).execute();
  }

  /** Followed groups with deliveries kept aside, at most {@code limit}. */
  List<byte[]> groupsWithHeld(Handle h, int limit) {
    return h.createQuery("select distinct group_id from held_deliveries limit :limit")
        .bind("limit", limit).mapTo(byte[].class).list();
  }

  /** Whether the group's member map holds {@code clientId}. */
  boolean isMember(Handle h, byte[] groupId, String clientId) {
    return h.createQuery("select 1 from group_members where group_id = :id and client_id = :c")
        .bind("id", groupId).bind("c", clientId).mapTo(Integer.class).findOne().isPresent();
  }
}
