package org.homeserver.keypackage;

import static org.homeserver.platform.grpc.Replies.reply;

import io.grpc.stub.StreamObserver;
import org.homeserver.api.keypackage.v1.KeyPackageInternalServiceGrpc;
import org.homeserver.api.keypackage.v1.PurgeKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.PurgeKeyPackagesResponse;

/**
 * The KeyPackage store's internal API (keypackage_internal.proto). ClaimKeyPackagesForPeer answers
 * UNIMPLEMENTED until federation is built.
 */
final class KeyPackageInternalGrpcService extends KeyPackageInternalServiceGrpc.KeyPackageInternalServiceImplBase {
  private final Publishes publishes;

  KeyPackageInternalGrpcService(Publishes publishes) {
    this.publishes = publishes;
  }

  @Override
  public void purgeKeyPackages(PurgeKeyPackagesRequest request, StreamObserver<PurgeKeyPackagesResponse> response) {
    switch (request.getTargetCase()) {
      case USER_ID -> publishes.purgeUser(request.getUserId());
      case CLIENT_ID -> publishes.purgeClient(request.getClientId());
      case TARGET_NOT_SET -> throw new IllegalStateException("the request rules require a target");
    }
    reply(response, PurgeKeyPackagesResponse.getDefaultInstance());
  }
}
