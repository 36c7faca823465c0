package org.homeserver.delivery;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.TreeMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.homeserver.api.auth.v1.RegisteredClient;
import org.homeserver.api.delivery.v1.DeliverEventRequest;
import org.homeserver.api.delivery.v1.ListGroupPeersResponse;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.platform.clients.RegisteredClients;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.ids.PeerIds;
import org.homeserver.platform.ids.UserId;

/**
 * What the other services ask of the delivery service (delivery_internal.proto): server events for
 * users and clients (of other domains through their homeservers), events other homeservers send,
 * and the peers a user shares groups with.
 */
public final class GroupEvents {
  /** Idempotency keys of DeliverEvent are scoped to the calling services, as if they were one sender. */
  static final UUID SERVICES = UUID.nameUUIDFromBytes("homeserver internal services".getBytes(StandardCharsets.UTF_8));

  private final Queues queues;
  private final Publisher publisher;
  private final Groups groups;
  private final RegisteredClients registry;
  private final LocalClients local;
  private final PeerEvents peers;

  public GroupEvents(Queues queues, Publisher publisher, Groups groups, RegisteredClients registry,
      LocalClients local, PeerEvents peers) {
    this.peers = peers;
    this.queues = queues;
    this.publisher = publisher;
    this.groups = groups;
    this.registry = registry;
    this.local = local;
  }

  /**
   * Queues the event for every client of the users and for the clients named, except the excluded.
   * Users and clients of other domains get ProfileChanged, UserDeleted and GroupDeleted through
   * their homeserver: stored in the outbox towards each domain first, under a key derived from the
   * request's and the domain, so a failure fails the call and its retry stores nothing twice.
   * Other events are for local users only (connection changes travel as federated updates).
   */
  public void deliver(DeliverEventRequest request) {
    ServerEvent event = request.getEvent();
    if (forwarded(event)) {
      forwards(request).forEach(peers::enqueue);
    }
    Set<String> clients = new LinkedHashSet<>();
    request.getUserIdsList().stream().filter(id -> remoteDomain(id).isEmpty()).forEach(userId ->
        registry.clientsOf(userId).stream().map(RegisteredClient::getClientId).forEach(clients::add));
    request.getClientIdsList().stream().filter(id -> local.queueOf(id).isPresent()).forEach(clients::add);
    request.getExcludeClientIdsList().forEach(clients::remove);
    queueLocally(event, clients, IdempotentRequest.of(SERVICES, request.getIdempotencyKey(), request));
  }

  /**
   * The event as delivered to each other domain with users or clients among the recipients (the
   * excluded clients left out), under a key derived from the request's and the domain.
   */
  private Map<String, org.homeserver.api.federation.v1.DeliverEventRequest> forwards(DeliverEventRequest request) {
    Map<String, org.homeserver.api.federation.v1.DeliverEventRequest.Builder> forwards = new TreeMap<>();
    for (String userId : request.getUserIdsList()) {
      remoteDomain(userId).ifPresent(domain -> forwards.computeIfAbsent(domain,
          d -> forPeer(request.getEvent(), request.getIdempotencyKey(), d)).addUserIds(userId));
    }
    Set<String> excluded = Set.copyOf(request.getExcludeClientIdsList());
    for (String clientId : request.getClientIdsList()) {
      ClientIdentity.parseClientId(clientId).map(ClientIdentity::domain)
          .filter(d -> !d.equals(local.domain()) && !excluded.contains(clientId))
          .ifPresent(domain -> forwards.computeIfAbsent(domain,
              d -> forPeer(request.getEvent(), request.getIdempotencyKey(), d)).addClientIds(clientId));
    }
    Map<String, org.homeserver.api.federation.v1.DeliverEventRequest> built = new TreeMap<>();
    forwards.forEach((domain, forward) -> built.put(domain, forward.build()));
    return built;
  }

  /** The domain of {@code userId} when it is a user id of another domain. */
  private Optional<String> remoteDomain(String userId) {
    return UserId.parse(userId).map(UserId::domain).filter(d -> !d.equals(local.domain()));
  }

  /**
   * An event from {@code peer} (delivery_internal.proto AcceptEvent) for users and clients of this
   * domain: its subject must be of the peer's domain, its recipients of this one. Queued once under
   * the peer's domain and the request's key.
   */
  public void accept(String peer, org.homeserver.api.federation.v1.DeliverEventRequest request) {
    ServerEvent event = switch (request.getEventCase()) {
      case PROFILE_CHANGED -> {
        PeerIds.requireActing(peer, request.getProfileChanged().getUserId(), "profile_changed.user_id");
        yield ServerEvent.newBuilder().setProfileChanged(request.getProfileChanged()).build();
      }
      case USER_DELETED -> {
        PeerIds.requireActing(peer, request.getUserDeleted().getUserId(), "user_deleted.user_id");
        yield ServerEvent.newBuilder().setUserDeleted(request.getUserDeleted()).build();
      }
      case GROUP_DELETED, GROUP_FEDERATION_CHANGED -> throw new IllegalArgumentException(
          "a followed group's events are FollowedGroups' to accept");
      case EVENT_NOT_SET -> throw Refusal.invalidField("event", "set ProfileChanged, UserDeleted or GroupDeleted");
    };
    if (request.getIdempotencyKey().isEmpty()) {
      throw Refusal.invalidField("idempotency_key", "a federated delivery carries an idempotency key");
    }
    Set<String> clients = new LinkedHashSet<>();
    for (String clientId : request.getClientIdsList()) {
      PeerIds.requireLocalClient(local.domain(), clientId, "client_ids");
      clients.add(clientId);
    }
    request.getUserIdsList().forEach(userId -> PeerIds.requireLocal(local.domain(), userId, "user_ids"));
    for (String userId : request.getUserIdsList()) {
      registry.clientsOf(userId).stream().map(RegisteredClient::getClientId).forEach(clients::add);
    }
    queueLocally(event, clients, IdempotentRequest.of(IdempotentRequest.peer(peer), request.getIdempotencyKey(),
        request));
  }

  private void queueLocally(ServerEvent event, Set<String> clients, IdempotentRequest idempotent) {
    List<Recipient> recipients = clients.stream().flatMap(id -> local.queueOf(id).stream()).map(Recipient::of)
        .toList();
    if (recipients.isEmpty()) {
      return;
    }
    publisher.publish(queues.enqueue(new Delivery(new QueueContent.Event(event), recipients,
        Optional.of(idempotent))).published());
  }

  /** Whether the event concerns users of other domains: a user's profile or deletion, a group's deletion. */
  private static boolean forwarded(ServerEvent event) {
    return event.hasProfileChanged() || event.hasUserDeleted() || event.hasGroupDeleted();
  }

  /** The federated delivery of {@code event} to {@code domain}, under a key derived from the caller's. */
  private static org.homeserver.api.federation.v1.DeliverEventRequest.Builder forPeer(ServerEvent event, String key,
      String domain) {
    var forward = org.homeserver.api.federation.v1.DeliverEventRequest.newBuilder()
        .setIdempotencyKey(IdempotentRequest.derivedKey("ev-", key, domain));
    switch (event.getEventCase()) {
      case PROFILE_CHANGED -> forward.setProfileChanged(event.getProfileChanged());
      case USER_DELETED -> forward.setUserDeleted(event.getUserDeleted());
      case GROUP_DELETED -> forward.setGroupDeleted(event.getGroupDeleted());
      default -> { }
    }
    return forward;
  }

  /** The users and clients other than {@code userId}'s own that share a group with one of its clients. */
  public ListGroupPeersResponse peers(String userId) {
    List<String> own = registry.clientsOf(userId).stream().map(RegisteredClient::getClientId).toList();
    if (own.isEmpty()) {
      return ListGroupPeersResponse.getDefaultInstance();
    }
    Set<String> users = new TreeSet<>();
    Set<String> clients = new TreeSet<>();
    for (String peer : groups.peersOf(own)) {
      Optional<String> peerUser = ClientIdentity.parseClientId(peer).map(ClientIdentity::userId);
      if (peerUser.isPresent() && !peerUser.get().equals(userId)) {
        users.add(peerUser.get());
        clients.add(peer);
      }
    }
    return ListGroupPeersResponse.newBuilder().addAllUserIds(users).addAllClientIds(clients).build();
  }
}
