package org.homeserver.delivery;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.api.delivery.v1.SendResponse;
import org.homeserver.api.federation.v1.RelayGroupOperationRequest;
import org.homeserver.api.federation.v1.RelayGroupOperationResponse;
import org.homeserver.mls.message.Sender;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.Protos;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.ids.PeerIds;

/**
 * The hub's side of relays (federation.proto RelayGroupOperation): a Send or DeleteGroup of a
 * client of the calling peer's domain, applied to a group hosted here by every rule a local
 * client's call meets, as that client. The peer vouches for the client (it authenticated it); the
 * group's rules decide the rest, and a group hosted elsewhere is GROUP_NOT_FOUND here.
 */
final class RelayedOperations {
  private final Sends sends;
  private final HostedGroups hosted;
  private final Groups groups;
  private final Clock clock;

  RelayedOperations(Sends sends, HostedGroups hosted, Groups groups, Clock clock) {
    this.sends = sends;
    this.hosted = hosted;
    this.groups = groups;
    this.clock = clock;
  }

  RelayGroupOperationResponse apply(String peer, RelayGroupOperationRequest request) {
    ClientIdentity client = ClientIdentity.parseClientId(request.getClientId())
        .orElseThrow(() -> Refusal.invalidField("client_id", "not a client id: " + request.getClientId()));
    PeerIds.requireActing(peer, client.userId(), "client_id");
    if (request.getIdempotencyKey().isEmpty()) {
      throw Refusal.invalidField("idempotency_key", "a relayed operation carries an idempotency key");
    }
    Principal caller = principal(peer, client);
    return switch (request.getOperationCase()) {
      case SEND -> {
        SendRequest.Builder send = SendRequest.newBuilder().setIdempotencyKey(request.getIdempotencyKey())
            .setNoNotification(request.getSend().getNoNotification());
        switch (request.getSend().getContentCase()) {
          case MLS_MESSAGE -> send.setMlsMessage(request.getSend().getMlsMessage());
          case COMMIT_BUNDLE -> send.setCommitBundle(request.getSend().getCommitBundle());
          case CONTENT_NOT_SET -> throw Refusal.invalidField("send", "name the message to send");
        }
        SendRequest relayed = send.build();
        SendRules.Parsed parsed = SendRules.parse(relayed);
        boolean joining = parsed instanceof SendRules.CommitMessage c
            && c.message().content().sender() instanceof Sender.NewMemberCommit;
        requireHosted(parsed.groupId(), caller, !joining);
        SendResponse answer = sends.send(caller, relayed);
        yield RelayGroupOperationResponse.newBuilder().setGroupId(answer.getGroupId()).setEpoch(answer.getEpoch())
            .setSequence(answer.getSequence()).setAcceptedAt(answer.getAcceptedAt()).build();
      }
      case DELETE_GROUP -> {
        byte[] groupId = request.getDeleteGroup().getGroupId().toByteArray();
        requireHosted(groupId, caller, true);
        hosted.delete(caller, groupId);
        yield RelayGroupOperationResponse.newBuilder().setGroupId(request.getDeleteGroup().getGroupId())
            .setAcceptedAt(Protos.timestamp(clock.instant())).build();
      }
      case OPERATION_NOT_SET -> throw Refusal.invalidField("operation", "name the operation to relay");
    };
  }

  /**
   * The group is hosted here (a group followed here is GROUP_NOT_FOUND: its hub is elsewhere) and,
   * unless the client joins by external commit, the client is in its member map.
   */
  private void requireHosted(byte[] groupId, Principal caller, boolean member) {
    Groups.Group group = groups.group(groupId);
    if (group.hub().isPresent()) {
      throw Groups.notFound();
    }
    if (member && group.members().leafOf(caller.clientId()).isEmpty()) {
      throw Groups.notAMember();
    }
  }

  /**
   * The relayed client as the group rules see a caller: its ids, and no token of this homeserver's
   * (a peer's client holds none; the peer authenticated it).
   */
  private Principal principal(String peer, ClientIdentity client) {
    Instant now = clock.instant();
    UUID user = UUID.nameUUIDFromBytes(client.userId().getBytes(StandardCharsets.UTF_8));
    return new Principal(client.userId(), user, client.clientId(), client.clientUuid(), "relayed-by:" + peer, now, now);
  }
}
