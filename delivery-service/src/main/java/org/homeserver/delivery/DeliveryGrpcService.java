package org.homeserver.delivery;

import org.homeserver.platform.grpc.DeclaredRules;
import static org.homeserver.platform.grpc.Replies.reply;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import com.google.protobuf.ByteString;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.homeserver.api.delivery.v1.GroupPosition;
import org.homeserver.api.delivery.v1.AckRequest;
import org.homeserver.api.delivery.v1.AckResponse;
import org.homeserver.api.delivery.v1.CreateGroupRequest;
import org.homeserver.api.delivery.v1.CreateGroupResponse;
import org.homeserver.api.delivery.v1.DeleteGroupRequest;
import org.homeserver.api.delivery.v1.DeleteGroupResponse;
import org.homeserver.api.delivery.v1.DeliveryServiceGrpc;
import org.homeserver.api.delivery.v1.FetchRequest;
import org.homeserver.api.delivery.v1.FetchResponse;
import org.homeserver.api.delivery.v1.GetGroupInfoRequest;
import org.homeserver.api.delivery.v1.GetGroupInfoResponse;
import org.homeserver.api.delivery.v1.GetGroupRequest;
import org.homeserver.api.delivery.v1.GetGroupResponse;
import org.homeserver.api.delivery.v1.ListenRequest;
import org.homeserver.api.delivery.v1.ListenResponse;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.api.delivery.v1.SendResponse;
import org.homeserver.api.delivery.v1.SetGroupNotificationPolicyRequest;
import org.homeserver.api.delivery.v1.SetGroupNotificationPolicyResponse;
import org.homeserver.platform.auth.Principal;

/** The delivery service's client API (delivery.proto) over gRPC: requests in, rules elsewhere. */
final class DeliveryGrpcService extends DeliveryServiceGrpc.DeliveryServiceImplBase {
  static final int DEFAULT_FETCH = Math.toIntExact(DeclaredRules.zeroMeans(
      FetchRequest.getDescriptor(), FetchRequest.LIMIT_FIELD_NUMBER));

  private final HostedGroups groups;
  private final Sends sends;
  private final Queues queues;
  private final Acks acks;
  private final ListenStreams listeners;

  DeliveryGrpcService(HostedGroups groups, Sends sends, Queues queues, Acks acks, ListenStreams listeners) {
    this.groups = groups;
    this.sends = sends;
    this.queues = queues;
    this.acks = acks;
    this.listeners = listeners;
  }

  @Override
  public void createGroup(CreateGroupRequest request, StreamObserver<CreateGroupResponse> response) {
    reply(response, groups.create(Principal.current(), request));
  }

  @Override
  public void deleteGroup(DeleteGroupRequest request, StreamObserver<DeleteGroupResponse> response) {
    groups.delete(Principal.current(), request.getGroupId().toByteArray());
    reply(response, DeleteGroupResponse.getDefaultInstance());
  }

  @Override
  public void getGroup(GetGroupRequest request, StreamObserver<GetGroupResponse> response) {
    reply(response, GetGroupResponse.newBuilder()
        .setGroup(groups.get(Principal.current(), request.getGroupId().toByteArray())).build());
  }

  @Override
  public void getGroupInfo(GetGroupInfoRequest request, StreamObserver<GetGroupInfoResponse> response) {
    reply(response, groups.groupInfo(Principal.current(), request.getGroupId().toByteArray()));
  }

  @Override
  public void send(SendRequest request, StreamObserver<SendResponse> response) {
    reply(response, sends.send(Principal.current(), request));
  }

  @Override
  public void fetch(FetchRequest request, StreamObserver<FetchResponse> response) {
    int limit = request.getLimit() == 0 ? DEFAULT_FETCH : request.getLimit();
    QueuePage page = queues.read(Principal.current().clientUuid(), ReadCursor.decode(request.getPageToken()), limit);
    reply(response, FetchResponse.newBuilder().addAllEntries(page.entries()).setHasMore(page.hasMore())
        .setNextPageToken(page.next().encode()).build());
  }

  @Override
  public void ack(AckRequest request, StreamObserver<AckResponse> response) {
    Map<ByteString, Long> groups = new HashMap<>();
    for (GroupPosition position : request.getGroupsList()) {
      groups.merge(position.getGroupId(), position.getUpToSequence(), Math::max);
    }
    acks.ack(Principal.current().clientUuid(), request.getUpToSequence(), groups);
    reply(response, AckResponse.getDefaultInstance());
  }

  @Override
  public void listen(ListenRequest request, StreamObserver<ListenResponse> response) {
    listeners.listen(Principal.current(), request, (ServerCallStreamObserver<ListenResponse>) response);
  }

  @Override
  public void setGroupNotificationPolicy(SetGroupNotificationPolicyRequest request,
      StreamObserver<SetGroupNotificationPolicyResponse> response) {
    var stored = groups.setPolicy(Principal.current(), request.getGroupId().toByteArray(),
        request.hasPolicy() ? Optional.of(request.getPolicy()) : Optional.empty());
    var out = SetGroupNotificationPolicyResponse.newBuilder();
    stored.ifPresent(out::setPolicy);
    reply(response, out.build());
  }
}
