package org.homeserver.directory;

import static org.homeserver.platform.grpc.Replies.reply;

import io.grpc.stub.StreamObserver;
import org.homeserver.api.directory.v1.DirectoryInternalServiceGrpc;
import org.homeserver.api.directory.v1.GetRelationshipsRequest;
import org.homeserver.api.directory.v1.GetRelationshipsResponse;
import org.homeserver.api.directory.v1.Relationship;
import org.homeserver.api.directory.v1.RelationshipInfo;
import org.homeserver.api.directory.v1.SpendClaimRightRequest;
import org.homeserver.api.directory.v1.SpendClaimRightResponse;
import org.homeserver.platform.grpc.ApiException;

/**
 * The directory's internal API (directory_internal.proto): relationships and claim rights for the
 * keypackage and delivery services. The federation RPCs and DeleteUserData answer UNIMPLEMENTED
 * until federation and account deletion are built.
 */
final class DirectoryInternalGrpcService extends DirectoryInternalServiceGrpc.DirectoryInternalServiceImplBase {
  static final int MAX_OTHERS = 1000;
  private final Connections connections;

  DirectoryInternalGrpcService(Connections connections) {
    this.connections = connections;
  }

  @Override
  public void getRelationships(GetRelationshipsRequest request, StreamObserver<GetRelationshipsResponse> response) {
    if (request.getOtherUserIdsCount() > MAX_OTHERS) {
      throw ApiException.invalidField("other_user_ids", "at most " + MAX_OTHERS);
    }
    String user = request.getUserId();
    GetRelationshipsResponse.Builder out = GetRelationshipsResponse.newBuilder();
    for (String other : request.getOtherUserIdsList()) {
      Relationship relationship = connections.relationship(user, other);
      out.addRelationships(RelationshipInfo.newBuilder()
          .setOtherUserId(other)
          .setRelationship(relationship)
          .setBlockedByOther(connections.relationship(other, user) == Relationship.RELATIONSHIP_BLOCKED)
          .setClaimRightAvailable(relationship == Relationship.RELATIONSHIP_REQUEST_SENT
              && connections.claimRightAvailable(user, other)));
    }
    reply(response, out.build());
  }

  @Override
  public void spendClaimRight(SpendClaimRightRequest request, StreamObserver<SpendClaimRightResponse> response) {
    connections.spendClaimRight(request.getRequesterUserId(), request.getTargetUserId());
    reply(response, SpendClaimRightResponse.getDefaultInstance());
  }
}
