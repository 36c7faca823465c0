package org.homeserver.directory;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.homeserver.platform.db.IdempotencyRecords;
import org.homeserver.platform.db.Transactions;
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * Persistence of the directory: profiles, links (pending requests and connections) and blocks; all
 * of its SQL lives here. The rules are in {@link Profiles} and {@link Connections}.
 */
public final class DirectoryStore {
  private final Transactions db;

  public DirectoryStore(Transactions db) {
    this.db = db;
  }

  /** A profile as stored. */
  public record StoredProfile(String userId, String displayName, Instant updatedAt) {}

  /**
   * A request from {@code requester} to {@code target}, connected once {@code connectedAt} is set.
   *
   * @param held a pending request to a target that blocks its requester: the requester sees it
   *             pending, the target does not see it until it lifts the block
   */
  public record Link(String requester, String target, Optional<Instant> connectedAt, boolean claimRight,
                     Instant createdAt, boolean held) {
    /** The user of the pair that is not {@code user}. */
    public String other(String user) {
      return requester.equals(user) ? target : requester;
    }

    /** Whether {@code user} sees this link: everyone but the target of a held request does. */
    public boolean visibleTo(String user) {
      return !(held && target.equals(user));
    }
  }

  /** A block of {@code blocked} by {@code blocker}. */
  public record Block(String blocker, String blocked, Instant createdAt) {}

  private static Instant instant(OffsetDateTime t) {
    return t.toInstant();
  }

  /** A link's columns, and whether it is held: a pending request whose target blocks its requester. */
  private static final String LINK_COLUMNS = """
      requester, target, connected_at, claim_right, created_at,
      connected_at is null and exists (select 1 from blocks where blocker = links.target and blocked = links.requester)
        as held""";

  private static final RowMapper<Link> LINK = (rs, ctx) -> new Link(rs.getString("requester"), rs.getString("target"),
      Optional.ofNullable(rs.getObject("connected_at", OffsetDateTime.class)).map(DirectoryStore::instant),
      rs.getBoolean("claim_right"), instant(rs.getObject("created_at", OffsetDateTime.class)), rs.getBoolean("held"));

  private static final RowMapper<Block> BLOCK = (rs, ctx) -> new Block(rs.getString("blocker"),
      rs.getString("blocked"), instant(rs.getObject("created_at", OffsetDateTime.class)));

  /** Forgets idempotency records created before {@code before}; how many. */
  public int deleteIdempotencyRecordsBefore(Instant before) {
    return IdempotencyRecords.deleteBefore(db, before);
  }

  /** Runs {@code work} in one transaction. */
  public <T> T inTransaction(Function<Handle, T> work) {
    return db.inTransaction(work::apply);
  }

  // --- profiles ---

  public Optional<StoredProfile> profile(String userId) {
    return db.withHandle(h -> h.createQuery("select user_id, display_name, updated_at from profiles where user_id = :u")
        .bind("u", userId)
        .map((rs, ctx) -> new StoredProfile(rs.getString("user_id"), rs.getString("display_name"),
            instant(rs.getObject("updated_at", OffsetDateTime.class))))
        .findOne());
  }

  public void setDisplayName(String userId, String displayName, Instant now) {
    db.useHandle(h -> h.createUpdate("""
            insert into profiles (user_id, display_name, updated_at) values (:u, :name, :now)
            on conflict (user_id) do update set display_name = excluded.display_name, updated_at = excluded.updated_at""")
        .bind("u", userId).bind("name", displayName).bind("now", now).execute());
  }

  // --- links ---

  /** The link between two users, whichever asked, locked FOR UPDATE until the transaction ends. */
  public Optional<Link> lockLink(Handle h, String a, String b) {
    return h.createQuery("select " + LINK_COLUMNS + """
             from links
            where (requester = :a and target = :b) or (requester = :b and target = :a) for update of links""")
        .bind("a", a).bind("b", b).map(LINK).findOne();
  }

  /** The link between two users, whichever asked. */
  public Optional<Link> link(String a, String b) {
    return db.withHandle(h -> h.createQuery("select " + LINK_COLUMNS + """
             from links
            where (requester = :a and target = :b) or (requester = :b and target = :a)""")
        .bind("a", a).bind("b", b).map(LINK).findOne());
  }

  /** Inserts a pending request with its claim right; false if the pair already has a link (nothing written). */
  public boolean insertRequest(Handle h, String requester, String target, Instant now) {
    return h.createUpdate("""
            insert into links (requester, target, connected_at, claim_right, created_at)
            values (:r, :t, null, true, :now) on conflict do nothing""")
        .bind("r", requester).bind("t", target).bind("now", now).execute() == 1;
  }

  public void connect(Handle h, String requester, String target, Instant now) {
    h.createUpdate("update links set connected_at = :now, claim_right = false where requester = :r and target = :t")
        .bind("now", now).bind("r", requester).bind("t", target).execute();
  }

  public void deleteLink(Handle h, String requester, String target) {
    h.createUpdate("delete from links where requester = :r and target = :t")
        .bind("r", requester).bind("t", target).execute();
  }

  /** Spends the claim right of the pending request; false if there is none left. */
  public boolean spendClaimRight(String requester, String target) {
    return db.withHandle(h -> h.createUpdate("""
            update links set claim_right = false
            where requester = :r and target = :t and connected_at is null and claim_right""")
        .bind("r", requester).bind("t", target).execute() == 1);
  }

  /**
   * The user's links in one role, in user order, a page at a time after {@code after}; the requests
   * it received leave out those it holds (from users it blocks).
   */
  public List<Link> links(String userId, LinkKind kind, String after, int limit) {
    String where = switch (kind) {
      case CONNECTED -> "(requester = :u or target = :u) and connected_at is not null";
      case SENT -> "requester = :u and connected_at is null";
      case RECEIVED -> "target = :u and connected_at is null"
          + " and not exists (select 1 from blocks where blocker = :u and blocked = links.requester)";
    };
    return db.withHandle(h -> h.createQuery("select " + LINK_COLUMNS + """
             from links
            where %s and (case when requester = :u then target else requester end) > :after
            order by (case when requester = :u then target else requester end) limit :limit""".formatted(where))
        .bind("u", userId).bind("after", after).bind("limit", limit).map(LINK).list());
  }

  /** Which of the user's links to list. */
  public enum LinkKind { CONNECTED, SENT, RECEIVED }

  /** The users {@code userId} has a link with (connected or pending, either way). */
  public List<String> linkedUsers(String userId) {
    return db.withHandle(h -> h.createQuery("""
            select case when requester = :u then target else requester end from links
            where requester = :u or target = :u""")
        .bind("u", userId).mapTo(String.class).list());
  }

  /** The users connected with {@code userId} whose ids are not of {@code userId}'s domain. */
  public List<String> connectedUsersOfOtherDomains(String userId) {
    String ownDomain = userId.substring(0, userId.indexOf("/u/") + 3);
    return db.withHandle(h -> h.createQuery("""
            select other from (
              select case when requester = :u then target else requester end as other from links
              where (requester = :u or target = :u) and connected_at is not null) o
            where not starts_with(other, :own)""")
        .bind("u", userId).bind("own", ownDomain).mapTo(String.class).list());
  }

  /** Deletes the user's profile, links and blocks (by it and of it). */
  public void deleteUser(String userId) {
    db.useTransaction(h -> {
      h.createUpdate("delete from profiles where user_id = :u").bind("u", userId).execute();
      h.createUpdate("delete from links where requester = :u or target = :u").bind("u", userId).execute();
      h.createUpdate("delete from blocks where blocker = :u or blocked = :u").bind("u", userId).execute();
    });
  }

  // --- blocks ---

  public boolean blocked(Handle h, String blocker, String blocked) {
    return h.createQuery("select 1 from blocks where blocker = :a and blocked = :b")
        .bind("a", blocker).bind("b", blocked).mapTo(Integer.class).findOne().isPresent();
  }

  public boolean blocked(String blocker, String blocked) {
    return db.withHandle(h -> blocked(h, blocker, blocked));
  }

  public void block(Handle h, String blocker, String blocked, Instant now) {
    h.createUpdate("insert into blocks (blocker, blocked, created_at) values (:a, :b, :now) on conflict do nothing")
        .bind("a", blocker).bind("b", blocked).bind("now", now).execute();
  }

  public void unblock(Handle h, String blocker, String blocked) {
    h.createUpdate("delete from blocks where blocker = :a and blocked = :b")
        .bind("a", blocker).bind("b", blocked).execute();
  }

  public List<Block> blocks(String blocker, String after, int limit) {
    return db.withHandle(h -> h.createQuery("""
            select blocker, blocked, created_at from blocks where blocker = :a and blocked > :after
            order by blocked limit :limit""")
        .bind("a", blocker).bind("after", after).bind("limit", limit).map(BLOCK).list());
  }
}
