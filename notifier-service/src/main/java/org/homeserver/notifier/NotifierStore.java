package org.homeserver.notifier;

import java.net.URI;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.homeserver.api.notifier.v1.EndpointKind;
import org.homeserver.api.notifier.v1.NotificationPolicy;
import org.homeserver.notifier.push.EndpointAddress;
import org.homeserver.platform.db.IdempotencyRecords;
import org.jdbi.v3.core.Handle;
import org.homeserver.platform.db.Transactions;

/** The notifier's rows in PostgreSQL: endpoints, default policies, the VAPID key. SQL lives here. */
public final class NotifierStore {
  private static final String ENDPOINT_COLUMNS = """
      endpoint_id, client_uuid, user_id, kind, url, p256dh, auth_secret, device_token, apns_topic, apns_sandbox,
      registered_at, last_success_at, last_failure_at, last_failure""";

  private final Transactions db;

  public NotifierStore(Transactions db) {
    this.db = db;
  }

  public <T> T inTransaction(java.util.function.Function<Handle, T> work) {
    return db.inTransaction(work::apply);
  }

  /**
   * Stores {@code endpoint}, or updates the client's endpoint with the same address (keeping its
   * id); returns the endpoint as stored.
   */
  public Endpoint upsert(Handle h, Endpoint endpoint) {
    EndpointAddress a = endpoint.address();
    Columns c = Columns.of(a);
    return h.createQuery("""
            insert into endpoints (endpoint_id, client_uuid, user_id, kind, address_key, url, p256dh, auth_secret,
                                   device_token, apns_topic, apns_sandbox, registered_at)
            values (:id, :client, :user, :kind, :key, :url, :p256dh, :auth, :token, :topic, :sandbox, :at)
            on conflict (client_uuid, address_key) do update set
              p256dh = excluded.p256dh, auth_secret = excluded.auth_secret, apns_topic = excluded.apns_topic,
              apns_sandbox = excluded.apns_sandbox, registered_at = excluded.registered_at
            returning\s""" + ENDPOINT_COLUMNS)
        .bind("id", endpoint.id()).bind("client", endpoint.client()).bind("user", endpoint.userId())
        .bind("kind", (short) endpoint.kind().getNumber()).bind("key", Endpoint.addressKey(a))
        .bind("url", c.url()).bind("p256dh", c.p256dh()).bind("auth", c.auth()).bind("token", c.token())
        .bind("topic", c.topic()).bind("sandbox", c.sandbox()).bind("at", endpoint.registeredAt())
        .map(NotifierStore::endpoint).one();
  }

  /** Whether the client has an endpoint with this address already. */
  public boolean hasAddress(Handle h, UUID client, EndpointAddress address) {
    return h.createQuery("select 1 from endpoints where client_uuid = :client and address_key = :key")
        .bind("client", client).bind("key", Endpoint.addressKey(address)).mapTo(Integer.class).findOne().isPresent();
  }

  /** Locks the client's endpoints (the row of the oldest, or nothing) and counts them. */
  public int countForUpdate(Handle h, UUID client) {
    return h.createQuery("select endpoint_id from endpoints where client_uuid = :client for update")
        .bind("client", client).mapTo(UUID.class).list().size();
  }

  /** The client's endpoints, oldest first. */
  public List<Endpoint> endpointsOf(UUID client) {
    return db.withHandle(h -> h.createQuery("select " + ENDPOINT_COLUMNS
            + " from endpoints where client_uuid = :client order by registered_at, endpoint_id")
        .bind("client", client).map(NotifierStore::endpoint).list());
  }

  /** The endpoints of each of {@code clients} that has any. */
  public Map<UUID, List<Endpoint>> endpointsOf(Collection<UUID> clients) {
    if (clients.isEmpty()) {
      return Map.of();
    }
    return db.withHandle(h -> h.createQuery("select " + ENDPOINT_COLUMNS
            + " from endpoints where client_uuid = any(:clients) order by registered_at, endpoint_id")
        .bindArray("clients", UUID.class, clients).map(NotifierStore::endpoint).list())
        .stream().collect(Collectors.groupingBy(Endpoint::client));
  }

  /** The endpoints of these ids that still exist, by id. */
  public Map<UUID, Endpoint> endpointsById(Collection<UUID> ids) {
    if (ids.isEmpty()) {
      return Map.of();
    }
    return db.withHandle(h -> h.createQuery("select " + ENDPOINT_COLUMNS + " from endpoints where endpoint_id = any(:ids)")
        .bindArray("ids", UUID.class, ids).map(NotifierStore::endpoint).list())
        .stream().collect(Collectors.toMap(Endpoint::id, e -> e));
  }

  public Optional<Endpoint> endpoint(UUID id) {
    return Optional.ofNullable(endpointsById(List.of(id)).get(id));
  }

  /** Deletes one of the client's endpoints; false if it has none with that id. */
  public boolean delete(UUID client, UUID id) {
    return db.withHandle(h -> h.createUpdate("delete from endpoints where endpoint_id = :id and client_uuid = :client")
        .bind("id", id).bind("client", client).execute()) > 0;
  }

  /** Deletes an endpoint its push service says is gone. */
  public void deleteGone(UUID id) {
    db.useHandle(h -> h.createUpdate("delete from endpoints where endpoint_id = :id").bind("id", id).execute());
  }

  public void recordSuccess(UUID id, Instant at) {
    db.useHandle(h -> h.createUpdate("""
            update endpoints set last_success_at = :at, last_failure_at = null, last_failure = ''
            where endpoint_id = :id""").bind("id", id).bind("at", at).execute());
  }

  public void recordFailure(UUID id, Instant at, String failure) {
    db.useHandle(h -> h.createUpdate("update endpoints set last_failure_at = :at, last_failure = :failure where endpoint_id = :id")
        .bind("id", id).bind("at", at).bind("failure", failure).execute());
  }

  public void setDefaultPolicy(UUID client, String userId, NotificationPolicy policy) {
    db.useHandle(h -> h.createUpdate("""
            insert into default_policies (client_uuid, user_id, policy) values (:client, :user, :policy)
            on conflict (client_uuid) do update set policy = excluded.policy""")
        .bind("client", client).bind("user", userId).bind("policy", policy.toByteArray()).execute());
  }

  /** The default policies of those of {@code clients} that set one. */
  public Map<UUID, NotificationPolicy> defaultPolicies(Collection<UUID> clients) {
    if (clients.isEmpty()) {
      return Map.of();
    }
    Map<UUID, NotificationPolicy> policies = new HashMap<>();
    db.useHandle(h -> h.createQuery("select client_uuid, policy from default_policies where client_uuid = any(:clients)")
        .bindArray("clients", UUID.class, clients)
        .map((rs, ctx) -> Map.entry(rs.getObject("client_uuid", UUID.class), parsePolicy(rs.getBytes("policy"))))
        .forEach(e -> policies.put(e.getKey(), e.getValue())));
    return policies;
  }

  /** Forgets the endpoints and default policies of a user's clients, or of one client. */
  public void purgeUser(String userId) {
    db.useTransaction(h -> {
      h.createUpdate("delete from endpoints where user_id = :user").bind("user", userId).execute();
      h.createUpdate("delete from default_policies where user_id = :user").bind("user", userId).execute();
    });
  }

  public void purgeClient(UUID client) {
    db.useTransaction(h -> {
      h.createUpdate("delete from endpoints where client_uuid = :client").bind("client", client).execute();
      h.createUpdate("delete from default_policies where client_uuid = :client").bind("client", client).execute();
    });
  }

  /** Forgets idempotency records created before {@code before}; how many. */
  public int forgetIdempotencyRecordsBefore(Instant before) {
    return IdempotencyRecords.deleteBefore(db, before);
  }

  private static NotificationPolicy parsePolicy(byte[] bytes) {
    try {
      return NotificationPolicy.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored policy does not parse", e);
    }
  }

  private static Endpoint endpoint(ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx) throws SQLException {
    EndpointKind kind = EndpointKind.forNumber(rs.getShort("kind"));
    EndpointAddress address = switch (kind) {
      case ENDPOINT_KIND_WEB_PUSH -> new EndpointAddress.WebPush(URI.create(rs.getString("url")),
          rs.getBytes("p256dh"), rs.getBytes("auth_secret"));
      case ENDPOINT_KIND_WEBHOOK -> new EndpointAddress.Webhook(URI.create(rs.getString("url")));
      case ENDPOINT_KIND_APNS -> new EndpointAddress.Apns(rs.getString("device_token"), rs.getString("apns_topic"),
          rs.getBoolean("apns_sandbox"));
      case ENDPOINT_KIND_FCM -> new EndpointAddress.Fcm(rs.getString("device_token"));
      default -> throw new IllegalStateException("stored endpoint kind " + rs.getShort("kind"));
    };
    return new Endpoint(rs.getObject("endpoint_id", UUID.class), rs.getObject("client_uuid", UUID.class),
        rs.getString("user_id"), address, instant(rs, "registered_at").orElseThrow(),
        instant(rs, "last_success_at"), instant(rs, "last_failure_at"), rs.getString("last_failure"));
  }

  private static Optional<Instant> instant(ResultSet rs, String column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return Optional.ofNullable(t).map(Timestamp::toInstant);
  }

  /** An address spread over the endpoint table's columns; unused ones are null. */
  private record Columns(String url, byte[] p256dh, byte[] auth, String token, String topic, boolean sandbox) {
    static Columns of(EndpointAddress address) {
      return switch (address) {
        case EndpointAddress.WebPush w -> new Columns(w.url().toString(), w.p256dh(), w.auth(), null, null, false);
        case EndpointAddress.Webhook w -> new Columns(w.url().toString(), null, null, null, null, false);
        case EndpointAddress.Apns a -> new Columns(null, null, null, a.deviceToken(), a.topic(), a.sandbox());
        case EndpointAddress.Fcm f -> new Columns(null, null, null, f.registrationToken(), null, false);
      };
    }
  }
}
