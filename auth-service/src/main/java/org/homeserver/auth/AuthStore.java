package org.homeserver.auth;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.homeserver.platform.db.Transactions;
import org.jdbi.v3.core.mapper.RowMapper;

/** Persistence of the auth schema; all of the service's SQL lives here. */
public final class AuthStore {
  private final Transactions db;

  public AuthStore(Transactions db) {
    this.db = db;
  }

  /** A registered user. */
  public record User(UUID uuid, String handle, String passwordHash, boolean suspended, Instant createdAt) {}

  /** A registered client with its user's handle and state. */
  public record Client(UUID uuid, UUID userUuid, String handle, boolean userSuspended, int signatureScheme,
                       byte[] signatureKey, String label, byte[] credential, Instant credentialNotAfter,
                       Instant createdAt, Optional<Instant> lastSessionAt, Optional<String> idempotencyKey,
                       Optional<byte[]> requestDigest) {}

  /** Tokens of {@code subject} issued up to {@code upTo} are refused until {@code expiresAt}. */
  public record Revocation(String subject, Instant upTo, Instant expiresAt) {}

  /** How many users and clients there are. */
  public record Counts(long users, long clients) {}

  /** A user with how many clients it has, for admin listings. */
  public record UserSummary(User user, int clientCount) {}

  /** A single-use session challenge. */
  public record Challenge(UUID id, UUID clientUuid, byte[] nonce, Instant expiresAt) {}

  /** An invite token. */
  public record Invite(String token, String note, Instant createdAt, Instant expiresAt) {}

  private static final RowMapper<User> USER = (rs, ctx) -> new User(rs.getObject("uuid", UUID.class),
      rs.getString("handle"), rs.getString("password_hash"), rs.getBoolean("suspended"), instant(rs, "created_at"));

  private static final RowMapper<Client> CLIENT = (rs, ctx) -> new Client(rs.getObject("uuid", UUID.class),
      rs.getObject("user_uuid", UUID.class), rs.getString("handle"), rs.getBoolean("suspended"),
      rs.getInt("signature_scheme"), rs.getBytes("signature_key"), rs.getString("label"),
      rs.getBytes("credential"), instant(rs, "credential_not_after"), instant(rs, "created_at"),
      Optional.ofNullable(rs.getObject("last_session_at", OffsetDateTime.class)).map(OffsetDateTime::toInstant),
      Optional.ofNullable(rs.getString("idempotency_key")), Optional.ofNullable(rs.getBytes("request_digest")));

  private static final String CLIENT_SELECT = """
      select c.*, u.handle, u.suspended from clients c join users u on u.uuid = c.user_uuid
      """;

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    return rs.getObject(column, OffsetDateTime.class).toInstant();
  }

  /** Runs {@code work} in one transaction. */
  public <T> T inTransaction(java.util.function.Function<Handle, T> work) {
    return db.inTransaction(work::apply);
  }

  // --- users ---

  /** Inserts the user unless the handle is taken or held back after a deletion; true if inserted. */
  public boolean insertUser(Handle h, User user) {
    return h.createUpdate("""
            insert into users (uuid, handle, password_hash, suspended, created_at)
            select :uuid, :handle, :hash, false, :createdAt
            where not exists (select 1 from retired_handles where handle = :handle and held_until > :createdAt)
            on conflict (handle) do nothing""")
        .bind("uuid", user.uuid()).bind("handle", user.handle()).bind("hash", user.passwordHash())
        .bind("createdAt", user.createdAt())
        .execute() == 1;
  }

  public Optional<User> userByHandle(String handle) {
    return db.withHandle(h -> h.createQuery("select * from users where handle = :handle")
        .bind("handle", handle).map(USER).findOne());
  }

  /** Users not suspended whose handle starts with {@code prefix}, in handle order. */
  public List<String> activeHandlesStartingWith(String prefix, int limit) {
    return db.withHandle(h -> h.createQuery("""
            select handle from users where starts_with(handle, :prefix) and not suspended order by handle limit :limit""")
        .bind("prefix", prefix).bind("limit", limit).mapTo(String.class).list());
  }

  public Optional<User> user(UUID uuid) {
    return db.withHandle(h -> h.createQuery("select * from users where uuid = :uuid")
        .bind("uuid", uuid).map(USER).findOne());
  }

  /** Replaces the password hash if it is still {@code expected}; false if it changed meanwhile. */
  public boolean replacePasswordHash(UUID user, String expected, String hash) {
    return db.withHandle(h -> h.createUpdate(
            "update users set password_hash = :hash where uuid = :uuid and password_hash = :expected")
        .bind("hash", hash).bind("uuid", user).bind("expected", expected).execute() == 1);
  }

  /** Sets the suspension flag and returns the user as it now is; empty if there is no such user. */
  public Optional<User> setSuspended(Handle h, UUID user, boolean suspended) {
    return h.createQuery("update users set suspended = :s where uuid = :uuid returning *")
        .bind("s", suspended).bind("uuid", user).map(USER).findOne();
  }

  /**
   * Deletes the user and, by cascade, its clients and challenges, and holds its handle back until
   * {@code heldUntil}; false if there was no such user.
   */
  public boolean deleteUser(Handle h, User user, Instant now, Instant heldUntil) {
    if (h.createUpdate("delete from users where uuid = :uuid").bind("uuid", user.uuid()).execute() == 0) {
      return false;
    }
    h.createUpdate("""
            insert into retired_handles (handle, retired_at, held_until) values (:handle, :now, :until)
            on conflict (handle) do update set retired_at = :now, held_until = greatest(retired_handles.held_until, :until)""")
        .bind("handle", user.handle()).bind("now", now).bind("until", heldUntil).execute();
    return true;
  }

  /** Users in handle order after {@code afterHandle}, with their client counts. */
  public List<UserSummary> usersAfter(String afterHandle, int limit) {
    return db.withHandle(h -> h.createQuery("""
            select u.*, (select count(*) from clients c where c.user_uuid = u.uuid) as client_count
            from users u where u.handle > :after order by u.handle limit :limit""")
        .bind("after", afterHandle).bind("limit", limit)
        .map((rs, ctx) -> new UserSummary(USER.map(rs, ctx), rs.getInt("client_count")))
        .list());
  }

  // --- revocations ---

  /** Records a revocation in the same transaction as the change that causes it. */
  public void recordRevocation(Handle h, Revocation r) {
    h.createUpdate("""
            insert into revocations (subject, revoked_up_to, expires_at) values (:s, :upTo, :expires)
            on conflict (subject) do update set revoked_up_to = greatest(revocations.revoked_up_to, :upTo),
                                                expires_at = greatest(revocations.expires_at, :expires)""")
        .bind("s", r.subject()).bind("upTo", r.upTo()).bind("expires", r.expiresAt()).execute();
  }

  /** Revocations that can still refuse a token; drops the ones that cannot. */
  public List<Revocation> activeRevocations(Instant now) {
    return db.inTransaction(h -> {
      h.createUpdate("delete from revocations where expires_at <= :now").bind("now", now).execute();
      return h.createQuery("select * from revocations")
          .map((rs, ctx) -> new Revocation(rs.getString("subject"), instant(rs, "revoked_up_to"),
              instant(rs, "expires_at")))
          .list();
    });
  }

  public int clientCount(UUID user) {
    return db.withHandle(h -> clientCount(h, user));
  }

  public Counts counts() {
    return db.withHandle(h -> h.createQuery("select (select count(*) from users), (select count(*) from clients)")
        .map((rs, ctx) -> new Counts(rs.getLong(1), rs.getLong(2))).one());
  }

  // --- invites ---

  public void insertInvite(Invite invite) {
    db.useHandle(h -> h.createUpdate("""
            insert into invites (token, note, created_at, expires_at) values (:token, :note, :created, :expires)""")
        .bind("token", invite.token()).bind("note", invite.note()).bind("created", invite.createdAt())
        .bind("expires", invite.expiresAt()).execute());
  }

  /** Marks the invite used by {@code user}; false if it is unknown, used or expired. */
  public boolean consumeInvite(Handle h, String token, UUID user, Instant now) {
    return h.createUpdate("""
            update invites set used_at = :now, used_by = :user
            where token = :token and used_at is null and expires_at > :now""")
        .bind("now", now).bind("user", user).bind("token", token).execute() == 1;
  }

  /** Unused, unexpired invites, newest first, created before {@code before}. */
  public List<Invite> openInvites(Instant now, Instant before, int limit) {
    return db.withHandle(h -> h.createQuery("""
            select * from invites where used_at is null and expires_at > :now and created_at < :before
            order by created_at desc limit :limit""")
        .bind("now", now).bind("before", before).bind("limit", limit)
        .map((rs, ctx) -> new Invite(rs.getString("token"), rs.getString("note"), instant(rs, "created_at"),
            instant(rs, "expires_at")))
        .list());
  }

  // --- clients ---

  public void insertClient(Handle h, Client c) {
    h.createUpdate("""
            insert into clients (uuid, user_uuid, signature_scheme, signature_key, label, credential,
                                 credential_not_after, created_at, idempotency_key, request_digest)
            values (:uuid, :user, :scheme, :key, :label, :credential, :notAfter, :createdAt, :idem, :digest)""")
        .bind("uuid", c.uuid()).bind("user", c.userUuid()).bind("scheme", c.signatureScheme())
        .bind("key", c.signatureKey()).bind("label", c.label()).bind("credential", c.credential())
        .bind("notAfter", c.credentialNotAfter()).bind("createdAt", c.createdAt())
        .bind("idem", c.idempotencyKey().orElse(null)).bind("digest", c.requestDigest().orElse(null))
        .execute();
  }

  /**
   * Locks the user's row, so concurrent registrations, suspension and deletion of the user happen
   * one at a time, and returns it as it now is; empty if it was deleted meanwhile.
   */
  public Optional<User> lockUser(Handle h, UUID user) {
    return h.createQuery("select * from users where uuid = :u for update").bind("u", user).map(USER).findOne();
  }

  public int clientCount(Handle h, UUID user) {
    return h.createQuery("select count(*) from clients where user_uuid = :u").bind("u", user).mapTo(Integer.class).one();
  }

  /**
   * The client registered under {@code key} since {@code since}; an older use of the key is
   * forgotten, so the key can serve again.
   */
  public Optional<Client> clientByIdempotencyKey(Handle h, UUID user, String key, Instant since) {
    h.createUpdate("""
            update clients set idempotency_key = null, request_digest = null
            where user_uuid = :u and idempotency_key = :k and created_at <= :since""")
        .bind("u", user).bind("k", key).bind("since", since).execute();
    return h.createQuery(CLIENT_SELECT + " where c.user_uuid = :u and c.idempotency_key = :k")
        .bind("u", user).bind("k", key).map(CLIENT).findOne();
  }

  public Optional<Client> client(UUID uuid) {
    return db.withHandle(h -> h.createQuery(CLIENT_SELECT + " where c.uuid = :uuid")
        .bind("uuid", uuid).map(CLIENT).findOne());
  }

  public List<Client> clientsOf(UUID user) {
    return db.withHandle(h -> h.createQuery(CLIENT_SELECT + " where c.user_uuid = :u order by c.created_at, c.uuid")
        .bind("u", user).map(CLIENT).list());
  }

  /** Deletes a client of {@code user}; false if the user has no such client. */
  public boolean deleteClient(Handle h, UUID user, UUID client) {
    return h.createUpdate("delete from clients where uuid = :c and user_uuid = :u")
        .bind("c", client).bind("u", user).execute() == 1;
  }

  public void updateCredential(UUID client, byte[] credential, Instant notAfter) {
    db.useHandle(h -> h.createUpdate(
            "update clients set credential = :cred, credential_not_after = :na where uuid = :c")
        .bind("cred", credential).bind("na", notAfter).bind("c", client).execute());
  }

  // --- sessions ---

  /** Stores a challenge and drops the ones that expired before {@code now}. */
  public void insertChallenge(Challenge c, Instant now) {
    db.useHandle(h -> {
      h.createUpdate("delete from challenges where expires_at < :now").bind("now", now).execute();
      h.createUpdate("insert into challenges (id, client_uuid, nonce, expires_at) values (:id, :c, :n, :e)")
          .bind("id", c.id()).bind("c", c.clientUuid()).bind("n", c.nonce()).bind("e", c.expiresAt()).execute();
    });
  }

  /** Removes and returns the challenge: each is usable once, whatever the outcome. */
  public Optional<Challenge> takeChallenge(UUID id) {
    return db.withHandle(h -> h.createQuery("delete from challenges where id = :id returning *")
        .bind("id", id)
        .map((rs, ctx) -> new Challenge(rs.getObject("id", UUID.class), rs.getObject("client_uuid", UUID.class),
            rs.getBytes("nonce"), instant(rs, "expires_at")))
        .findOne());
  }

  public void touchSession(UUID client, Instant at) {
    db.useHandle(h -> h.createUpdate("update clients set last_session_at = :at where uuid = :c")
        .bind("at", at).bind("c", client).execute());
  }
}
