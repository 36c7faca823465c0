package org.homeserver.notifier;

import static org.homeserver.platform.grpc.Replies.reply;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import org.homeserver.api.notifier.v1.ApnsDevice;
import org.homeserver.api.notifier.v1.DeleteEndpointRequest;
import org.homeserver.api.notifier.v1.DeleteEndpointResponse;
import org.homeserver.api.notifier.v1.FcmDevice;
import org.homeserver.api.notifier.v1.GetDefaultPolicyRequest;
import org.homeserver.api.notifier.v1.GetDefaultPolicyResponse;
import org.homeserver.api.notifier.v1.GetVapidPublicKeyRequest;
import org.homeserver.api.notifier.v1.GetVapidPublicKeyResponse;
import org.homeserver.api.notifier.v1.ListEndpointsRequest;
import org.homeserver.api.notifier.v1.ListEndpointsResponse;
import org.homeserver.api.notifier.v1.NotificationPolicy;
import org.homeserver.api.notifier.v1.NotifierServiceGrpc;
import org.homeserver.api.notifier.v1.RegisterEndpointRequest;
import org.homeserver.api.notifier.v1.RegisterEndpointResponse;
import org.homeserver.api.notifier.v1.SetDefaultPolicyRequest;
import org.homeserver.api.notifier.v1.SetDefaultPolicyResponse;
import org.homeserver.api.notifier.v1.WebPushSubscription;
import org.homeserver.api.notifier.v1.Webhook;
import org.homeserver.notifier.push.EndpointAddress;
import org.homeserver.notifier.webpush.VapidKey;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.grpc.Protos;

/** The notifier's client API (notifier.proto) over gRPC: requests in, rules elsewhere. */
final class NotifierGrpcService extends NotifierServiceGrpc.NotifierServiceImplBase {
  private final Endpoints endpoints;
  private final Policies policies;
  private final VapidKey vapid;

  NotifierGrpcService(Endpoints endpoints, Policies policies, VapidKey vapid) {
    this.endpoints = endpoints;
    this.policies = policies;
    this.vapid = vapid;
  }

  @Override
  public void getVapidPublicKey(GetVapidPublicKeyRequest request, StreamObserver<GetVapidPublicKeyResponse> response) {
    reply(response, GetVapidPublicKeyResponse.newBuilder().setPublicKey(ByteString.copyFrom(vapid.publicKey()))
        .setPublicKeyBase64Url(vapid.publicKeyBase64Url()).build());
  }

  @Override
  public void registerEndpoint(RegisterEndpointRequest request, StreamObserver<RegisterEndpointResponse> response) {
    reply(response, RegisterEndpointResponse.newBuilder()
        .setEndpoint(toProto(endpoints.register(Principal.current(), request))).build());
  }

  @Override
  public void listEndpoints(ListEndpointsRequest request, StreamObserver<ListEndpointsResponse> response) {
    var list = ListEndpointsResponse.newBuilder();
    endpoints.list(Principal.current()).forEach(e -> list.addEndpoints(toProto(e)));
    reply(response, list.build());
  }

  @Override
  public void deleteEndpoint(DeleteEndpointRequest request, StreamObserver<DeleteEndpointResponse> response) {
    endpoints.delete(Principal.current(), request.getEndpointId());
    reply(response, DeleteEndpointResponse.getDefaultInstance());
  }

  @Override
  public void setDefaultPolicy(SetDefaultPolicyRequest request, StreamObserver<SetDefaultPolicyResponse> response) {
    reply(response, SetDefaultPolicyResponse.newBuilder()
        .setPolicy(policies.setDefault(Principal.current(), request.getPolicy())).build());
  }

  @Override
  public void getDefaultPolicy(GetDefaultPolicyRequest request, StreamObserver<GetDefaultPolicyResponse> response) {
    Optional<NotificationPolicy> set = policies.getDefault(Principal.current());
    reply(response, GetDefaultPolicyResponse.newBuilder().setPolicy(set.orElse(Notifications.SERVER_DEFAULT))
        .setServerDefault(set.isEmpty()).build());
  }

  /** An endpoint as the API shows it: the Web Push auth secret is never returned. */
  static org.homeserver.api.notifier.v1.Endpoint toProto(Endpoint endpoint) {
    var proto = org.homeserver.api.notifier.v1.Endpoint.newBuilder()
        .setEndpointId(endpoint.id().toString())
        .setKind(endpoint.kind())
        .setRegisteredAt(Protos.timestamp(endpoint.registeredAt()))
        .setLastFailure(endpoint.lastFailure());
    endpoint.lastSuccessAt().ifPresent(t -> proto.setLastSuccessAt(Protos.timestamp(t)));
    endpoint.lastFailureAt().ifPresent(t -> proto.setLastFailureAt(Protos.timestamp(t)));
    switch (endpoint.address()) {
      case EndpointAddress.WebPush w -> proto.setWebPush(WebPushSubscription.newBuilder()
          .setEndpointUrl(w.url().toString()).setP256Dh(ByteString.copyFrom(w.p256dh())));
      case EndpointAddress.Webhook w -> proto.setWebhook(Webhook.newBuilder().setUrl(w.url().toString()));
      case EndpointAddress.Apns a -> proto.setApns(ApnsDevice.newBuilder().setDeviceToken(a.deviceToken())
          .setTopic(a.topic()).setSandbox(a.sandbox()));
      case EndpointAddress.Fcm f -> proto.setFcm(FcmDevice.newBuilder().setRegistrationToken(f.registrationToken()));
    }
    return proto.build();
  }
}
