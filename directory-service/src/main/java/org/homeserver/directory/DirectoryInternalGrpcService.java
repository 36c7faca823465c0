package org.homeserver.directory;

import static org.homeserver.platform.grpc.Replies.reply;

import io.grpc.stub.StreamObserver;
import org.homeserver.api.directory.v1.DeleteUserDataRequest;
import org.homeserver.api.directory.v1.DeleteUserDataResponse;
import org.homeserver.api.directory.v1.DirectoryInternalServiceGrpc;
import org.homeserver.api.directory.v1.GetRelationshipsRequest;
import org.homeserver.api.directory.v1.GetRelationshipsResponse;
import org.homeserver.api.directory.v1.SpendClaimRightRequest;
import org.homeserver.api.directory.v1.SpendClaimRightResponse;

/**
 * The directory's internal API (directory_internal.proto): relationships and claim rights for the
 * keypackage and delivery services, and the deletion of a user's data. The federation RPCs answer
 * UNIMPLEMENTED until federation is built; DeleteUserData handles users of this domain.
 */
final class DirectoryInternalGrpcService extends DirectoryInternalServiceGrpc.DirectoryInternalServiceImplBase {
  private final Connections connections;
  private final AccountDeletion deletion;

  DirectoryInternalGrpcService(Connections connections, AccountDeletion deletion) {
    this.connections = connections;
    this.deletion = deletion;
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
