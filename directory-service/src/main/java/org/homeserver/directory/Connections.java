package org.homeserver.directory;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.ConnectionAccepted;
import org.homeserver.api.delivery.v1.ConnectionCancelled;
import org.homeserver.api.delivery.v1.ConnectionRejected;
import org.homeserver.api.delivery.v1.ConnectionRemoved;
import org.homeserver.api.delivery.v1.ConnectionRequested;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.directory.v1.Connection;
import org.homeserver.api.directory.v1.Relationship;
import org.homeserver.api.directory.v1.RelationshipInfo;
import org.homeserver.api.federation.v1.ConnectionUpdateKind;
import org.homeserver.api.federation.v1.DeliverConnectionRequestRequest;
import org.homeserver.api.federation.v1.DeliverConnectionUpdateRequest;
import org.homeserver.directory.DirectoryStore.Link;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.errors.Fact;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.Protos;
import org.homeserver.platform.ids.UserId;
import org.jdbi.v3.core.Handle;

/**
 * Connections between users (directory.proto, CONNECTIONS): requests with their one-time claim
 * right, answers, removal, blocks, and what one user is to another. Each change is one transaction
 * on the pair's link; the events go out after it.
 *
 * <p>A blocked user is never told of the block. Its request to the user who blocked it is held: it
 * looks pending to the requester, as any request does, and reaches the target (its clients, its list
 * of requests, its answers) only once the target lifts the block; its claim finds no KeyPackage and
 * its adds are refused, as for a target that has none to hand out or has not answered.
 *
 * <p>With a user of another domain the rules are the same: a request is first delivered to its
 * homeserver, and each change of the link is stored in the federation outbox in the transaction
 * that makes it ({@link Peers}); that user's clients are told by its own homeserver.
 */
public final class Connections {
  private final DirectoryStore store;
  private final Accounts accounts;
  private final Notices notices;
  private final Peers peers;
  private final String domain;
  private final Clock clock;

  public Connections(DirectoryStore store, Accounts accounts, Notices notices, Peers peers, String domain,
      Clock clock) {
    this.store = store;
    this.accounts = accounts;
    this.notices = notices;
    this.peers = peers;
    this.domain = domain;
    this.clock = clock;
  }

  /**
   * Asks {@code target} for a connection; the caller's user gets the claim right. A target of
   * another domain is asked through its homeserver first (under a key derived from the caller's
   * {@code idempotencyKey}, or a fresh one), whose refusal comes back unchanged with nothing written
   * here; then the request is recorded here too, so the target's answer finds it.
   */
  public Connection request(Principal caller, String target, String idempotencyKey) {
    String me = caller.userId();
    if (me.equals(target)) {
      throw Refusal.invalidField("target_user_id", "a user cannot connect with itself");
    }
    Optional<String> remote = remoteDomain(target);
    if (remote.isEmpty()) {
      requireVisible(target);
    } else {
      store.link(me, target).filter(l -> l.visibleTo(me))
          .ifPresent(existing -> { throw connectionExists(relationshipOf(existing, me)); });
      peers.sendRequest(remote.get(), DeliverConnectionRequestRequest.newBuilder().setRequesterUserId(me)
          .setTargetUserId(target).setIdempotencyKey(idempotencyKey.isEmpty()
              ? IdempotentRequest.derivedKey("cr-", UUID.randomUUID().toString())
              : IdempotentRequest.derivedKey("cr-", caller.clientId(), idempotencyKey)).build());
    }
    Instant now = clock.instant();
    Link link = store.inTransaction(h -> recordRequest(h, me, target, now));
    tell(caller, link, ServerEvent.newBuilder().setConnectionRequested(ConnectionRequested.newBuilder()
        .setRequesterUserId(me).setTargetUserId(target)).build());
    return toProto(link, me);
  }

  /**
   * Records a pending request from {@code requester} to {@code target} with its claim right, held
   * if the target blocks the requester; CONNECTION_EXISTS if the requester sees a link already.
   */
  Link recordRequest(Handle h, String requester, String target, Instant now) {
    Optional<Link> existing = store.lockLink(h, requester, target);
    if (existing.isPresent() && existing.get().visibleTo(requester)) {
      throw connectionExists(relationshipOf(existing.get(), requester));
    }
    // A request the requester holds from a user it blocks gives way to its own.
    existing.ifPresent(held -> store.deleteLink(h, held.requester(), held.target()));
    if (!store.insertRequest(h, requester, target, now)) {
      throw connectionExists(Relationship.RELATIONSHIP_REQUEST_RECEIVED);
    }
    return new Link(requester, target, Optional.empty(), true, now, store.blocked(h, target, requester));
  }

  /** Accepts the request {@code requester} sent the caller. */
  public Connection accept(Principal caller, String requester) {
    String me = caller.userId();
    Instant now = clock.instant();
    Link link = store.inTransaction(h -> {
      Link pending = pendingFrom(h, requester, me, me);
      store.connect(h, requester, me, now);
      tellPeer(ConnectionUpdateKind.CONNECTION_UPDATE_KIND_ACCEPTED, me, requester, pending);
      return new Link(requester, me, Optional.of(now), false, pending.createdAt(), false);
    });
    tell(caller, link, ServerEvent.newBuilder().setConnectionAccepted(ConnectionAccepted.newBuilder()
        .setRequesterUserId(requester).setTargetUserId(me)).build());
    return toProto(link, me);
  }

  /**
   * Rejects the request {@code requester} sent the caller, blocking it too if asked. The requester
   * is told of the rejection, never of the block.
   */
  public void reject(Principal caller, String requester, boolean block) {
    String me = caller.userId();
    Instant now = clock.instant();
    Link rejected = store.inTransaction(h -> {
      Link pending = pendingFrom(h, requester, me, me);
      store.deleteLink(h, requester, me);
      tellPeer(ConnectionUpdateKind.CONNECTION_UPDATE_KIND_REJECTED, me, requester, pending);
      if (block) {
        store.block(h, me, requester, now);
      }
      return pending;
    });
    tell(caller, rejected, ServerEvent.newBuilder().setConnectionRejected(ConnectionRejected.newBuilder()
        .setRequesterUserId(requester).setTargetUserId(me)).build());
  }

  /** Withdraws the request the caller sent {@code target}. */
  public void cancel(Principal caller, String target) {
    String me = caller.userId();
    Link cancelled = store.inTransaction(h -> {
      Link pending = pendingFrom(h, me, target, me);
      store.deleteLink(h, me, target);
      tellPeer(ConnectionUpdateKind.CONNECTION_UPDATE_KIND_CANCELLED, me, target, pending);
      return pending;
    });
    tell(caller, cancelled, ServerEvent.newBuilder().setConnectionCancelled(ConnectionCancelled.newBuilder()
        .setRequesterUserId(me).setTargetUserId(target)).build());
  }

  /** Ends the connection with {@code other}. */
  public void remove(Principal caller, String other) {
    String me = caller.userId();
    Link removed = store.inTransaction(h -> {
      Link link = store.lockLink(h, me, other).filter(l -> l.connectedAt().isPresent())
          .orElseThrow(() -> Refusal.of(ErrorReason.CONNECTION_NOT_FOUND, "you are not connected with this user"));
      store.deleteLink(h, link.requester(), link.target());
      tellPeer(ConnectionUpdateKind.CONNECTION_UPDATE_KIND_REMOVED, me, other, link);
      return link;
    });
    tell(caller, removed, ServerEvent.newBuilder().setConnectionRemoved(ConnectionRemoved.newBuilder()
        .setRemovedByUserId(me).setOtherUserId(other)).build());
  }

  /**
   * Blocks {@code other}, first ending a connection or request between them (with its event, which
   * does not tell of the block); a request of {@code other}'s the caller already holds stays held.
   */
  public void block(Principal caller, String other) {
    String me = caller.userId();
    if (me.equals(other)) {
      throw Refusal.invalidField("user_id", "a user cannot block itself");
    }
    if (remoteDomain(other).isEmpty()) {
      requireVisible(other);
    }
    Optional<Link> ended = store.inTransaction(h -> {
      Optional<Link> link = store.lockLink(h, me, other).filter(l -> l.visibleTo(me));
      link.ifPresent(l -> {
        store.deleteLink(h, l.requester(), l.target());
        // The other side learns the link ended, as a local user would, never of the block.
        tellPeer(switch (relationshipOf(l, me)) {
          case RELATIONSHIP_CONNECTED -> ConnectionUpdateKind.CONNECTION_UPDATE_KIND_REMOVED;
          case RELATIONSHIP_REQUEST_SENT -> ConnectionUpdateKind.CONNECTION_UPDATE_KIND_CANCELLED;
          default -> ConnectionUpdateKind.CONNECTION_UPDATE_KIND_REJECTED;
        }, me, other, l);
      });
      store.block(h, me, other, clock.instant());
      return link;
    });
    ended.ifPresent(link -> tell(caller, link, switch (relationshipOf(link, me)) {
      case RELATIONSHIP_CONNECTED -> ServerEvent.newBuilder().setConnectionRemoved(ConnectionRemoved.newBuilder()
          .setRemovedByUserId(me).setOtherUserId(other)).build();
      case RELATIONSHIP_REQUEST_SENT -> ServerEvent.newBuilder().setConnectionCancelled(ConnectionCancelled
          .newBuilder().setRequesterUserId(me).setTargetUserId(other)).build();
      default -> ServerEvent.newBuilder().setConnectionRejected(ConnectionRejected.newBuilder()
          .setRequesterUserId(other).setTargetUserId(me)).build();
    }));
  }

  /**
   * Lifts the caller's block of {@code other}. A request {@code other} sent while blocked reaches
   * the caller now: every client of the caller's gets ConnectionRequested.
   */
  public void unblock(Principal caller, String other) {
    String me = caller.userId();
    Optional<Link> released = store.inTransaction(h -> {
      Optional<Link> held = store.lockLink(h, me, other).filter(l -> !l.visibleTo(me));
      store.unblock(h, me, other);
      return held;
    });
    released.ifPresent(request -> notices.tell(List.of(me), "", ServerEvent.newBuilder().setConnectionRequested(
        ConnectionRequested.newBuilder().setRequesterUserId(other).setTargetUserId(me)).build(),
        "connection-" + UUID.randomUUID()));
  }

  /** What {@code other} is to {@code user}: SELF, CONNECTED, REQUEST_SENT/RECEIVED, BLOCKED or NONE. */
  public Relationship relationship(String user, String other) {
    return view(user, other).relationship();
  }

  /**
   * What {@code other} is to {@code user} as the other services ask it: the relationship, whether
   * {@code other} blocked {@code user}, and for a request {@code user} sent, whether its claim right
   * is still there.
   */
  public RelationshipInfo relationshipInfo(String user, String other) {
    View view = view(user, other);
    return RelationshipInfo.newBuilder()
        .setOtherUserId(other)
        .setRelationship(view.relationship())
        .setBlockedByOther(view.relationship() != Relationship.RELATIONSHIP_SELF && store.blocked(other, user))
        .setClaimRightAvailable(view.relationship() == Relationship.RELATIONSHIP_REQUEST_SENT
            && view.link().orElseThrow().claimRight())
        .build();
  }

  /** A relationship with the link it comes from, if any. */
  private record View(Relationship relationship, Optional<Link> link) {}

  private View view(String user, String other) {
    if (user.equals(other)) {
      return new View(Relationship.RELATIONSHIP_SELF, Optional.empty());
    }
    Optional<Link> link = store.link(user, other).filter(l -> l.visibleTo(user));
    if (link.isPresent()) {
      return new View(relationshipOf(link.get(), user), link);
    }
    return new View(store.blocked(user, other) ? Relationship.RELATIONSHIP_BLOCKED : Relationship.RELATIONSHIP_NONE,
        Optional.empty());
  }

  /** Spends the claim right; NOT_CONNECTED without a pending request, CLAIM_RIGHT_USED once spent. */
  public void spendClaimRight(String requester, String target) {
    if (store.spendClaimRight(requester, target)) {
      return;
    }
    boolean pending = store.link(requester, target)
        .filter(l -> l.requester().equals(requester) && l.connectedAt().isEmpty()).isPresent();
    throw pending
        ? Refusal.of(ErrorReason.CLAIM_RIGHT_USED, "the claim right of this request was used")
        : Refusal.of(ErrorReason.NOT_CONNECTED, "no pending request from this user to the target");
  }

  /** The caller's links of one kind, a page at a time (user id order). */
  public List<Connection> list(String userId, DirectoryStore.LinkKind kind, String after, int limit) {
    return store.links(userId, kind, after, limit).stream().map(l -> toProto(l, userId)).toList();
  }

  public List<Connection> blocks(String userId, String after, int limit) {
    return store.blocks(userId, after, limit).stream().map(b -> Connection.newBuilder().setUserId(b.blocked())
        .setRelationship(Relationship.RELATIONSHIP_BLOCKED).setCreatedAt(Protos.timestamp(b.createdAt())).build())
        .toList();
  }

  /** USER_NOT_FOUND unless {@code userId} is an active user of this domain (unknown and suspended look alike). */
  void requireVisible(String userId) {
    accounts.find(userId).filter(a -> !a.suspended())
        .orElseThrow(() -> Refusal.of(ErrorReason.USER_NOT_FOUND, "no such user"));
  }

  /**
   * The pending request from {@code requester} to {@code target}, locked, as {@code caller} (one of
   * the two) sees it: a target does not see a request it holds from a user it blocks.
   */
  private Link pendingFrom(Handle h, String requester, String target, String caller) {
    return store.lockLink(h, requester, target)
        .filter(l -> l.requester().equals(requester) && l.connectedAt().isEmpty() && l.visibleTo(caller))
        .orElseThrow(() -> Refusal.of(ErrorReason.CONNECTION_NOT_FOUND, "no such pending request"));
  }

  /**
   * Tells every client of both users of {@code link} but the calling one; of a held request only the
   * requester's, so that the target learns nothing of it. A user of another domain learns of the
   * change from its homeserver (the federated call or update), not from an event here.
   */
  private void tell(Principal caller, Link link, ServerEvent event) {
    List<String> users = (link.held() ? List.of(link.requester()) : List.of(link.requester(), link.target()))
        .stream().filter(this::isLocal).toList();
    notices.tell(users, caller.clientId(), event, "connection-" + UUID.randomUUID());
  }

  /**
   * In the transaction of the change: when {@code other} is of another domain, stores the update in
   * the outbox towards it, so a failure to store it undoes the change. The key names the change and
   * the link's moment, so the transaction's retry or the client's stores one entry.
   */
  private void tellPeer(ConnectionUpdateKind kind, String acting, String other, Link link) {
    Optional<String> remote = remoteDomain(other);
    if (remote.isEmpty()) {
      return;
    }
    Instant moment = link.connectedAt().orElse(link.createdAt());
    peers.enqueueUpdate(remote.get(), DeliverConnectionUpdateRequest.newBuilder().setActingUserId(acting)
        .setOtherUserId(other).setKind(kind).setIdempotencyKey(IdempotentRequest.derivedKey("cu-", kind.name(),
            acting, other, moment.toString())).build());
  }

  /** Whether {@code userId} names a user of this domain. */
  boolean isLocal(String userId) {
    return remoteDomain(userId).isEmpty();
  }

  /** The domain of {@code userId} when it is a valid user id of another domain. */
  Optional<String> remoteDomain(String userId) {
    return UserId.parse(userId).map(UserId::domain).filter(d -> !d.equals(domain));
  }

  static Refusal connectionExists(Relationship relationship) {
    return Refusal.of(ErrorReason.CONNECTION_EXISTS, "a connection or a request exists with this user")
        .with(Fact.RELATIONSHIP, relationship.name());
  }

  static Relationship relationshipOf(Link link, String user) {
    if (link.connectedAt().isPresent()) {
      return Relationship.RELATIONSHIP_CONNECTED;
    }
    return link.requester().equals(user) ? Relationship.RELATIONSHIP_REQUEST_SENT
        : Relationship.RELATIONSHIP_REQUEST_RECEIVED;
  }

  private static Connection toProto(Link link, String user) {
    Connection.Builder c = Connection.newBuilder().setUserId(link.other(user))
        .setRelationship(relationshipOf(link, user))
        .setCreatedAt(Protos.timestamp(link.createdAt()));
    link.connectedAt().ifPresent(t -> c.setConnectedAt(Protos.timestamp(t)));
    if (link.connectedAt().isEmpty() && link.requester().equals(user)) {
      c.setClaimRightAvailable(link.claimRight());
    }
    return c.build();
  }
}
