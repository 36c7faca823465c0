package org.homeserver.directory;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.homeserver.api.delivery.v1.ConnectionAccepted;
import org.homeserver.api.delivery.v1.ConnectionCancelled;
import org.homeserver.api.delivery.v1.ConnectionRejected;
import org.homeserver.api.delivery.v1.ConnectionRemoved;
import org.homeserver.api.delivery.v1.ConnectionRequested;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.federation.v1.DeliverConnectionRequestRequest;
import org.homeserver.api.federation.v1.DeliverConnectionUpdateRequest;
import org.homeserver.directory.DirectoryStore.Link;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.PeerIds;
import org.jdbi.v3.core.Handle;

/**
 * Connection requests and updates from users of other domains (directory_internal.proto,
 * ReceiveConnectionRequest and ReceiveConnectionUpdate), applied as their local twins in
 * {@link Connections} are. Each is idempotent under the peer's domain and its key: the key is
 * claimed in the transaction of the link change, with the event the change makes as its answer, so
 * a retry changes nothing and tells the event again under the same key, which the delivery service
 * queues once: an event a crash kept from being told is told by the peer's retry.
 */
public final class PeerConnections {
  private final DirectoryStore store;
  private final Connections connections;
  private final Notices notices;
  private final String domain;
  private final Clock clock;

  public PeerConnections(DirectoryStore store, Connections connections, Notices notices, String domain, Clock clock) {
    this.store = store;
    this.connections = connections;
    this.notices = notices;
    this.domain = domain;
    this.clock = clock;
  }

  /** A user of {@code peer} asks a user of this domain; the target's clients get ConnectionRequested unless held. */
  public void receiveRequest(String peer, DeliverConnectionRequestRequest request) {
    String requester = request.getRequesterUserId();
    String target = request.getTargetUserId();
    PeerIds.requireActing(peer, requester, "requester_user_id");
    PeerIds.requireLocal(domain, target, "target_user_id");
    connections.requireVisible(target);
    IdempotentRequest idempotent = keyed(peer, request.getIdempotencyKey(), request);
    Instant now = clock.instant();
    Optional<ServerEvent> event = store.inTransaction(h -> once(h, idempotent, now,
        () -> Optional.of(connections.recordRequest(h, requester, target, now)).filter(link -> !link.held())
            .map(link -> ServerEvent.newBuilder().setConnectionRequested(ConnectionRequested.newBuilder()
                .setRequesterUserId(requester).setTargetUserId(target)).build())));
    event.ifPresent(e -> tell(target, e, peer, idempotent));
  }

  /**
   * A user of {@code peer} answered, withdrew or ended a link with a user of this domain; a change
   * that no longer applies does nothing.
   */
  public void receiveUpdate(String peer, DeliverConnectionUpdateRequest update) {
    String acting = update.getActingUserId();
    String other = update.getOtherUserId();
    PeerIds.requireActing(peer, acting, "acting_user_id");
    PeerIds.requireLocal(domain, other, "other_user_id");
    IdempotentRequest idempotent = keyed(peer, update.getIdempotencyKey(), update);
    Instant now = clock.instant();
    Optional<ServerEvent> event = store.inTransaction(h -> once(h, idempotent, now, () -> apply(h, update, now)));
    event.ifPresent(e -> tell(other, e, peer, idempotent));
  }

  /** The change an update makes, under the pair's link lock; the event for the local user if it applied. */
  private Optional<ServerEvent> apply(Handle h, DeliverConnectionUpdateRequest update, Instant now) {
    String acting = update.getActingUserId();
    String other = update.getOtherUserId();
    Optional<Link> link = store.lockLink(h, acting, other);
    return switch (update.getKind()) {
      case CONNECTION_UPDATE_KIND_ACCEPTED -> pending(link, other).map(l -> {
        store.connect(h, other, acting, now);
        return ServerEvent.newBuilder().setConnectionAccepted(ConnectionAccepted.newBuilder()
            .setRequesterUserId(other).setTargetUserId(acting)).build();
      });
      case CONNECTION_UPDATE_KIND_REJECTED -> pending(link, other).map(l -> {
        store.deleteLink(h, other, acting);
        return ServerEvent.newBuilder().setConnectionRejected(ConnectionRejected.newBuilder()
            .setRequesterUserId(other).setTargetUserId(acting)).build();
      });
      case CONNECTION_UPDATE_KIND_CANCELLED -> pending(link, acting).flatMap(l -> {
        store.deleteLink(h, acting, other);
        // A held request was never shown to the local user: its withdrawal is not either.
        return l.held() ? Optional.empty() : Optional.of(ServerEvent.newBuilder().setConnectionCancelled(
            ConnectionCancelled.newBuilder().setRequesterUserId(acting).setTargetUserId(other)).build());
      });
      case CONNECTION_UPDATE_KIND_REMOVED -> link.filter(l -> l.connectedAt().isPresent()).map(l -> {
        store.deleteLink(h, l.requester(), l.target());
        return ServerEvent.newBuilder().setConnectionRemoved(ConnectionRemoved.newBuilder()
            .setRemovedByUserId(acting).setOtherUserId(other)).build();
      });
      case CONNECTION_UPDATE_KIND_UNSPECIFIED, UNRECOGNIZED ->
          throw Refusal.invalidField("kind", "name what changed: ACCEPTED, REJECTED, CANCELLED or REMOVED");
    };
  }

  /** The link if it is a request {@code requester} sent that is still pending. */
  private static Optional<Link> pending(Optional<Link> link, String requester) {
    return link.filter(l -> l.requester().equals(requester) && l.connectedAt().isEmpty());
  }

  /**
   * Claims the key and runs {@code work}, keeping the event it makes (if any) as the key's answer;
   * for a key used before, the event kept then.
   */
  private static Optional<ServerEvent> once(Handle h, IdempotentRequest idempotent, Instant now,
      Supplier<Optional<ServerEvent>> work) {
    Optional<byte[]> earlier = idempotent.claim(h, now, IdempotentRequest.PEER_WINDOW);
    if (earlier.isPresent()) {
      return eventOf(earlier.get());
    }
    Optional<ServerEvent> event = work.get();
    idempotent.recordAnswer(h, event.map(ServerEvent::toByteArray).orElse(new byte[0]));
    return event;
  }

  private static Optional<ServerEvent> eventOf(byte[] answer) {
    if (answer.length == 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(ServerEvent.parseFrom(answer));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored answer does not parse", e);
    }
  }

  private void tell(String userId, ServerEvent event, String peer, IdempotentRequest idempotent) {
    notices.tell(List.of(userId), "", event, IdempotentRequest.derivedKey("peer-conn-", peer, idempotent.key()));
  }

  private static IdempotentRequest keyed(String peer, String key, com.google.protobuf.Message request) {
    if (key.isEmpty()) {
      throw Refusal.invalidField("idempotency_key", "a federated change carries an idempotency key");
    }
    return IdempotentRequest.of(IdempotentRequest.peer(peer), key, request);
  }
}
