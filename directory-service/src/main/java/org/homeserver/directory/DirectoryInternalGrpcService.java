package org.homeserver.directory;

import static org.homeserver.platform.grpc.Replies.reply;

import io.grpc.stub.StreamObserver;
import org.homeserver.api.directory.v1.DeleteUserDataRequest;
import org.homeserver.api.directory.v1.DeleteUserDataResponse;
import org.homeserver.api.directory.v1.DirectoryInternalServiceGrpc;
import org.homeserver.api.directory.v1.GetRelationshipsRequest;
import org.homeserver.api.directory.v1.GetRelationshipsResponse;
import org.homeserver.api.directory.v1.LookupUserRequest;
import org.homeserver.api.directory.v1.LookupUserResponse;
import org.homeserver.api.directory.v1.ReceiveConnectionRequestRequest;
import org.homeserver.api.directory.v1.ReceiveConnectionRequestResponse;
import org.homeserver.api.directory.v1.ReceiveConnectionUpdateRequest;
import org.homeserver.api.directory.v1.ReceiveConnectionUpdateResponse;
import org.homeserver.api.directory.v1.SpendClaimRightRequest;
import org.homeserver.api.directory.v1.SpendClaimRightResponse;
import org.homeserver.platform.ids.PeerIds;

/**
 * The directory's internal API (directory_internal.proto): relationships and claim rights for the
 * keypackage and delivery services, inbound federation (lookups, connection requests and updates
 * from other domains), and the deletion of a user's data.
 */
final class DirectoryInternalGrpcService extends DirectoryInternalServiceGrpc.DirectoryInternalServiceImplBase {
  private final Connections connections;
  private final AccountDeletion deletion;
  private final PeerConnections peers;
  private final Profiles profiles;
  private final String domain;

  DirectoryInternalGrpcService(Connections connections, AccountDeletion deletion, PeerConnections peers,
      Profiles profiles, String domain) {
    this.domain = domain;
    this.connections = connections;
    this.deletion = deletion;
    this.peers = peers;
    this.profiles = profiles;
  }

  @Override
  public void lookupUser(LookupUserRequest request, StreamObserver<LookupUserResponse> response) {
    String peer = request.getPeerDomain();
    PeerIds.requireActing(peer, request.getRequest().getRequesterUserId(), "requester_user_id");
    String userId = DirectoryGrpcService.userIdOf(request.getRequest().getQuery());
    PeerIds.requireLocal(domain, userId, "query");
    connections.requireVisible(userId);
    reply(response, LookupUserResponse.newBuilder().setProfile(profiles.of(userId)).build());
  }

  @Override
  public void receiveConnectionRequest(ReceiveConnectionRequestRequest request,
      StreamObserver<ReceiveConnectionRequestResponse> response) {
    peers.receiveRequest(request.getPeerDomain(), request.getRequest());
    reply(response, ReceiveConnectionRequestResponse.getDefaultInstance());
  }

  @Override
  public void receiveConnectionUpdate(ReceiveConnectionUpdateRequest request,
      StreamObserver<ReceiveConnectionUpdateResponse> response) {
    peers.receiveUpdate(request.getPeerDomain(), request.getRequest());
    reply(response, ReceiveConnectionUpdateResponse.getDefaultInstance());
  }

  @Override
  public void deleteUserData(DeleteUserDataRequest request, StreamObserver<DeleteUserDataResponse> response) {
    deletion.deleteUserData(request.getUserId());
    reply(response, DeleteUserDataResponse.getDefaultInstance());
  }

  @Override
  public void getRelationships(GetRelationshipsRequest request, StreamObserver<GetRelationshipsResponse> response) {
    String user = request.getUserId();
    GetRelationshipsResponse.Builder out = GetRelationshipsResponse.newBuilder();
    for (String other : request.getOtherUserIdsList()) {
      out.addRelationships(connections.relationshipInfo(user, other));
    }
    reply(response, out.build());
  }

  @Override
  public void spendClaimRight(SpendClaimRightRequest request, StreamObserver<SpendClaimRightResponse> response) {
    connections.spendClaimRight(request.getRequesterUserId(), request.getTargetUserId());
    reply(response, SpendClaimRightResponse.getDefaultInstance());
  }
}
