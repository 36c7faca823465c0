package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.CreateGroupRequest;
import org.homeserver.api.delivery.v1.CreateGroupResponse;
import org.homeserver.api.delivery.v1.GetGroupInfoResponse;
import org.homeserver.api.delivery.v1.GroupDeleted;
import org.homeserver.api.delivery.v1.GroupMember;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.federation.v1.DeliverEventRequest;
import org.homeserver.api.notifier.v1.NotificationPolicy;
import org.homeserver.delivery.Groups.Group;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.group.GroupStateException;
import org.homeserver.mls.group.PublicGroupState;
import org.homeserver.mls.message.GroupContext;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.clients.RegisteredClients;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.Protos;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.notify.NotificationPolicies;
import org.homeserver.platform.db.Transactions;

/**
 * The group operations besides Send (delivery.proto): creation with the caller at leaf 0, deletion
 * by a member with a GroupDeleted event to the others, reading the group and its GroupInfo, and a
 * member's notification policy for it.
 */
public final class HostedGroups {
  private final Transactions db;
  private final Groups groups;
  private final GroupStates states;
  private final LeafCredentials credentials;
  private final Queues queues;
  private final Publisher publisher;
  private final RegisteredClients registry;
  private final AddedClients.Relationships relationships;
  private final LocalClients local;
  private final FederationStore federation;
  private final FanOut fanOut;
  private final FollowedGroups followed;
  private final FederationLink link;
  private final Clock clock;

  HostedGroups(Transactions db, Groups groups, GroupStates states, LeafCredentials credentials, Queues queues,
      Publisher publisher, RegisteredClients registry, AddedClients.Relationships relationships, LocalClients local,
      FederationStore federation, FanOut fanOut, FollowedGroups followed, FederationLink link, Clock clock) {
    this.federation = federation;
    this.fanOut = fanOut;
    this.followed = followed;
    this.link = link;
    this.db = db;
    this.groups = groups;
    this.states = states;
    this.credentials = credentials;
    this.queues = queues;
    this.publisher = publisher;
    this.registry = registry;
    this.relationships = relationships;
    this.local = local;
    this.clock = clock;
  }

  /** Creates the group hosted here at epoch 0 with the caller at leaf 0; see delivery.proto CreateGroup. */
  public CreateGroupResponse create(Principal caller, CreateGroupRequest request) {
    byte[] groupId = request.getGroupId().toByteArray();
    CipherSuite suite = CipherSuite.fromCode(request.getCipherSuite()).orElseThrow(() -> Refusal.invalidField(
        "cipher_suite", "cipher suite " + request.getCipherSuite() + " is not one RFC 9420 defines"));
    var client = registry.client(caller.clientId()).orElseThrow(() -> new IllegalStateException(
        "the authenticated client " + caller.clientId() + " is not registered"));
    if (suite.signatureScheme().code() != client.getSignatureScheme().getNumber()) {
      throw Refusal.invalidField("cipher_suite", suite + " signs with " + suite.signatureScheme()
          + ", but this client's key is " + client.getSignatureScheme());
    }
    byte[] groupInfo = request.getGroupInfo().toByteArray();
    PublicGroupState state = initialState(caller, groupId, suite, SendRules.decodeGroupInfo("group_info.", groupInfo),
        request.getRatchetTree().toByteArray());
    Optional<IdempotentRequest> idempotency = IdempotentRequest.ifKeyed(caller.clientUuid(),
        request.getIdempotencyKey(), request);
    Instant now = clock.instant();
    return db.inTransaction(h -> {
      Optional<byte[]> earlier = idempotency.flatMap(r -> r.claim(h, now));
      if (earlier.isPresent()) {
        return parse(earlier.get());
      }
      Group group = groups.create(h, groupId, suite.code(), caller.clientId(), Optional.of(caller.clientUuid()));
      states.insert(h, groupId, state);
      groups.setGroupInfo(h, groupId, groupInfo);
      CreateGroupResponse response = CreateGroupResponse.newBuilder().setGroup(toProto(group)).build();
      idempotency.ifPresent(r -> r.recordAnswer(h, response.toByteArray()));
      return response;
    });
  }

  /**
   * The public state of epoch 0 from the creator's GroupInfo and tree (or the GroupInfo's
   * ratchet_tree extension): for this group and suite, valid, signed by leaf 0, which holds the
   * calling client alone.
   */
  private PublicGroupState initialState(Principal caller, byte[] groupId, CipherSuite suite, GroupInfo info,
      byte[] ratchetTree) {
    GroupContext context = info.groupContext();
    if (!Arrays.equals(context.groupId(), groupId) || context.epoch() != 0 || context.cipherSuite() != suite.code()) {
      throw Refusal.invalidField("group_info", "the GroupInfo is not for this group at epoch 0 with cipher suite "
          + suite.code());
    }
    Optional<RatchetTree> tree = ratchetTree.length == 0 ? Optional.empty()
        : Optional.of(SendRules.decodeTree("ratchet_tree", ratchetTree));
    String treeField = tree.isPresent() ? "ratchet_tree" : "group_info.extensions";
    PublicGroupState state;
    try {
      state = PublicGroupState.fromGroupInfo(info, tree, states.keyPackages());
    } catch (GroupStateException e) {
      throw SendRules.broken(e, switch (e.rule()) {
        case TREE -> treeField;
        case GROUP_INFO_SIGNATURE -> "group_info.signature";
        default -> "group_info.group_context";
      }, "");
    }
    if (state.tree().leafCount() != 1) {
      throw Refusal.invalidField(treeField, "a new group holds its creator alone, in leaf 0; this tree has "
          + state.tree().leafCount() + " leaves");
    }
    credentials.requireOwn(caller, state.tree().leaf(0).orElseThrow(), treeField);
    return state;
  }

  /**
   * Deletes the group, by a member; the other members get a GroupDeleted event, those of other
   * domains through their homeservers (in the group's outbox lane, after what the group accepted
   * before). A followed group's deletion is relayed to its hub.
   */
  public void delete(Principal caller, byte[] groupId) {
    Group current = groups.group(groupId);
    if (current.members().leafOf(caller.clientId()).isEmpty()) {
      throw Groups.notAMember();
    }
    if (current.hub().isPresent()) {
      followed.relayDelete(caller, current.hub().get(), groupId);
      return;
    }
    fanOut.pump(groupId);
    Instant now = clock.instant();
    List<Queues.Queued> queued = db.inTransaction(h -> {
      Group group = groups.delete(h, groupId);
      if (group.members().leafOf(caller.clientId()).isEmpty()) {
        throw Groups.notAMember();
      }
      List<String> others = group.members().members().stream().map(MemberMap.Member::clientId)
          .filter(id -> !id.equals(caller.clientId())).toList();
      GroupDeleted deleted = GroupDeleted.newBuilder().setGroupId(ByteString.copyFrom(groupId))
          .setDeletedByClientId(caller.clientId()).build();
      tellOtherDomains(groupId, others, deleted);
      List<Recipient> here = others.stream().flatMap(id -> local.queueOf(id).stream()).map(Recipient::of).toList();
      if (here.isEmpty()) {
        return List.<Queues.Queued>of();
      }
      ServerEvent event = ServerEvent.newBuilder().setGroupDeleted(deleted).build();
      return queues.queueAll(h, List.of(Delivery.of(new QueueContent.Event(event), here)), now);
    });
    publisher.publish(Publisher.Published.queued(queued));
  }

  /**
   * Queues GroupDeleted for the members of other domains, in the group's lane of each domain's
   * outbox, inside the deletion's transaction (a failure undoes the deletion). A domain the policy
   * forbids is not told.
   */
  private void tellOtherDomains(byte[] groupId, List<String> members, GroupDeleted deleted) {
    Map<String, List<String>> byDomain = new TreeMap<>();
    for (String id : members) {
      ClientIdentity.parseClientId(id).map(ClientIdentity::domain).filter(d -> !d.equals(local.domain()))
          .ifPresent(d -> byDomain.computeIfAbsent(d, unused -> new ArrayList<>()).add(id));
    }
    byDomain.forEach((domain, clients) -> link.enqueue(domain, groupId,
        org.homeserver.api.federation.v1.Delivery.newBuilder().setEvent(DeliverEventRequest.newBuilder()
            .addAllClientIds(clients).setGroupDeleted(deleted)
            .setIdempotencyKey(IdempotentRequest.derivedKey("group-deleted-", FanOut.hex(groupId)))).build(), 0));
  }

  /** The group as its hub knows it (a followed group: this homeserver's copy), for a member. */
  public org.homeserver.api.delivery.v1.Group get(Principal caller, byte[] groupId) {
    Group group = groups.group(groupId);
    if (group.members().leafOf(caller.clientId()).isEmpty()) {
      throw Groups.notAMember();
    }
    return toProto(group);
  }

  /**
   * The GroupInfo of the current epoch, for a client that may join by external commit: one whose
   * user, or a user it is connected with, has a client in the group.
   */
  public GetGroupInfoResponse groupInfo(Principal caller, byte[] groupId) {
    Group group = groups.group(groupId);
    Set<String> memberUsers = LocalClients.usersOf(group.members());
    boolean allowed = memberUsers.contains(caller.userId())
        || !relationships.connected(caller.userId(), memberUsers).isEmpty();
    if (!allowed) {
      throw Refusal.of(ErrorReason.PERMISSION_DENIED, "only members and clients of their users read the GroupInfo");
    }
    return db.withHandle(h -> {
      byte[] info = groups.groupInfo(h, groupId).orElseThrow(() -> Refusal.of(ErrorReason.GROUP_INFO_UNAVAILABLE,
          "no GroupInfo was supplied for epoch " + group.epoch()));
      if (group.hub().isPresent()) {
        // A followed group: the hub's GroupInfo and tree as its last commit brought them.
        byte[] tree = federation.ratchetTree(h, groupId).orElseThrow(() -> Refusal.of(
            ErrorReason.GROUP_INFO_UNAVAILABLE, "the hub sent no ratchet tree for epoch " + group.epoch()));
        return GetGroupInfoResponse.newBuilder().setGroupInfo(ByteString.copyFrom(info)).setEpoch(group.epoch())
            .setRatchetTree(ByteString.copyFrom(tree)).build();
      }
      PublicGroupState state = states.read(h, groupId).orElseThrow(Groups::unfollowed).state();
      return GetGroupInfoResponse.newBuilder().setGroupInfo(ByteString.copyFrom(info)).setEpoch(state.epoch())
          .setRatchetTree(ByteString.copyFrom(state.ratchetTree().toBytes())).build();
    });
  }

  /** Sets or (with an unset policy) clears the caller's policy for the group; returns what is stored. */
  public Optional<NotificationPolicy> setPolicy(Principal caller, byte[] groupId, Optional<NotificationPolicy> policy) {
    Optional<NotificationPolicy> stored = policy.map(NotificationPolicies::withDefaults);
    groups.setPolicy(groupId, caller.clientUuid(), stored.map(NotificationPolicy::toByteArray).orElse(null));
    return stored;
  }

  private org.homeserver.api.delivery.v1.Group toProto(Group group) {
    var proto = org.homeserver.api.delivery.v1.Group.newBuilder()
        .setGroupId(ByteString.copyFrom(group.groupId()))
        .setCipherSuite(group.cipherSuite())
        .setEpoch(group.epoch())
        .setHubDomain(group.hub().orElse(local.domain()))
        .setCreatedAt(Protos.timestamp(group.createdAt()));
    for (MemberMap.Member member : group.members().members()) {
      proto.addMembers(GroupMember.newBuilder().setLeafIndex((int) member.leafIndex()).setClientId(member.clientId()));
    }
    return proto.build();
  }

  private static CreateGroupResponse parse(byte[] answer) {
    try {
      return CreateGroupResponse.parseFrom(answer);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored CreateGroup answer does not parse", e);
    }
  }
}
