package org.homeserver.keypackage;

import static org.homeserver.platform.grpc.Replies.reply;

import io.grpc.stub.StreamObserver;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesResponse;
import org.homeserver.api.keypackage.v1.GetKeyPackageCountRequest;
import org.homeserver.api.keypackage.v1.GetKeyPackageCountResponse;
import org.homeserver.api.keypackage.v1.KeyPackageServiceGrpc;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesResponse;
import org.homeserver.platform.auth.Principal;

/** The KeyPackage store's client API (keypackage.proto) over gRPC: requests in, rules elsewhere. */
final class KeyPackageGrpcService extends KeyPackageServiceGrpc.KeyPackageServiceImplBase {
  private final Publishes publishes;
  private final Claims claims;

  KeyPackageGrpcService(Publishes publishes, Claims claims) {
    this.publishes = publishes;
    this.claims = claims;
  }

  @Override
  public void publishKeyPackages(PublishKeyPackagesRequest request, StreamObserver<PublishKeyPackagesResponse> response) {
    reply(response, publishes.publish(Principal.current(), request));
  }

  @Override
  public void claimKeyPackages(ClaimKeyPackagesRequest request, StreamObserver<ClaimKeyPackagesResponse> response) {
    reply(response, claims.claim(Principal.current(), request));
  }

  @Override
  public void getKeyPackageCount(GetKeyPackageCountRequest request, StreamObserver<GetKeyPackageCountResponse> response) {
    reply(response, GetKeyPackageCountResponse.newBuilder()
        .addAllCounts(publishes.count(Principal.current(), request.getCipherSuite())).build());
  }
}
