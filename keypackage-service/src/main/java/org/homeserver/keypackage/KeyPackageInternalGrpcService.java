package org.homeserver.keypackage;

import static org.homeserver.platform.grpc.Replies.reply;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import org.homeserver.api.keypackage.v1.CheckPeerClaimsRequest;
import org.homeserver.api.keypackage.v1.CheckPeerClaimsResponse;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesForPeerRequest;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesForPeerResponse;
import org.homeserver.api.keypackage.v1.KeyPackageInternalServiceGrpc;
import org.homeserver.api.keypackage.v1.PurgeKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.PurgeKeyPackagesResponse;

/** The KeyPackage store's internal API (keypackage_internal.proto): claims for peers, what peers claimed, and purges. */
final class KeyPackageInternalGrpcService extends KeyPackageInternalServiceGrpc.KeyPackageInternalServiceImplBase {
  private final Publishes publishes;
  private final Claims claims;
  private final KeyPackageStore store;

  KeyPackageInternalGrpcService(Publishes publishes, Claims claims, KeyPackageStore store) {
    this.publishes = publishes;
    this.claims = claims;
    this.store = store;
  }

  @Override
  public void checkPeerClaims(CheckPeerClaimsRequest request, StreamObserver<CheckPeerClaimsResponse> response) {
    reply(response, CheckPeerClaimsResponse.newBuilder().addAllClaims(store.peerClaims(request.getDomain(),
        request.getKeyPackageRefsList().stream().map(ByteString::toByteArray).toList())).build());
  }

  @Override
  public void claimKeyPackagesForPeer(ClaimKeyPackagesForPeerRequest request,
      StreamObserver<ClaimKeyPackagesForPeerResponse> response) {
    reply(response, ClaimKeyPackagesForPeerResponse.newBuilder()
        .setResponse(claims.claimForPeer(request.getPeerDomain(), request.getRequest())).build());
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
