package org.homeserver.delivery;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
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
import org.homeserver.platform.ids.ClientIdentity;

/**
 * What the other services ask of the delivery service (delivery_internal.proto): server events for
 * users and clients, and the peers a user shares groups with.
 */
public final class GroupEvents {
  /** DeliverEventRequest names at most this many users, and as many clients. */
  /** Idempotency keys of DeliverEvent are scoped to the calling services, as if they were one sender. */
  static final UUID SERVICES = UUID.nameUUIDFromBytes("homeserver internal services".getBytes(StandardCharsets.UTF_8));

  private final Queues queues;
  private final Publisher publisher;
  private final Groups groups;
  private final RegisteredClients registry;
  private final LocalClients local;

  public GroupEvents(Queues queues, Publisher publisher, Groups groups, RegisteredClients registry,
      LocalClients local) {
    this.queues = queues;
    this.publisher = publisher;
    this.groups = groups;
    this.registry = registry;
    this.local = local;
  }

  /** Queues the event for every client of the users and for the clients named, except the excluded. */
  public void deliver(DeliverEventRequest request) {
    ServerEvent event = request.getEvent();
    Set<String> clients = new LinkedHashSet<>();
    for (String userId : request.getUserIdsList()) {
      registry.clientsOf(userId).stream().map(RegisteredClient::getClientId).forEach(clients::add);
    }
    clients.addAll(request.getClientIdsList());
    request.getExcludeClientIdsList().forEach(clients::remove);
    List<Recipient> recipients = clients.stream().flatMap(id -> local.queueOf(id).stream()).map(Recipient::of).toList();
    if (recipients.isEmpty()) {
      return;
    }
    publisher.publish(queues.enqueue(new Delivery(new QueueContent.Event(event), recipients,
        Optional.of(IdempotentRequest.of(SERVICES, request.getIdempotencyKey(), request)))).published());
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
