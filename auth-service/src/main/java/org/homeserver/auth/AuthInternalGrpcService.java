package org.homeserver.auth;

import static org.homeserver.platform.grpc.Replies.reply;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.UUID;
import org.homeserver.api.auth.v1.AuthInternalServiceGrpc;
import org.homeserver.api.auth.v1.DeleteUserRequest;
import org.homeserver.api.auth.v1.DeleteUserResponse;
import org.homeserver.api.auth.v1.FindUsersByPrefixRequest;
import org.homeserver.api.auth.v1.FindUsersByPrefixResponse;
import org.homeserver.api.auth.v1.VerifyPasswordRequest;
import org.homeserver.api.auth.v1.VerifyPasswordResponse;
import org.homeserver.api.auth.v1.GetAuthenticationRootsRequest;
import org.homeserver.api.auth.v1.GetAuthenticationRootsResponse;
import org.homeserver.api.auth.v1.GetClientRequest;
import org.homeserver.api.auth.v1.GetClientResponse;
import org.homeserver.api.auth.v1.GetTokenKeysRequest;
import org.homeserver.api.auth.v1.GetTokenKeysResponse;
import org.homeserver.api.auth.v1.ListRevocationsRequest;
import org.homeserver.api.auth.v1.ListRevocationsResponse;
import org.homeserver.api.auth.v1.ListUserClientsRequest;
import org.homeserver.api.auth.v1.ListUserClientsResponse;
import org.homeserver.api.auth.v1.RegisteredClient;
import org.homeserver.api.auth.v1.Revocation;
import org.homeserver.api.auth.v1.TokenKey;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.auth.AuthStore.Client;
import org.homeserver.auth.AuthStore.User;
import org.homeserver.platform.grpc.Protos;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.ids.UserId;

/** The internal API the other services use: token keys, registered clients and the AS roots. */
final class AuthInternalGrpcService extends AuthInternalServiceGrpc.AuthInternalServiceImplBase {
  private final Users users;
  private final Clients clients;
  private final TokenKeys keys;
  private final TokenRevocations revocations;
  private final AuthenticationRoots roots;

  AuthInternalGrpcService(Users users, Clients clients, TokenKeys keys, TokenRevocations revocations,
      AuthenticationRoots roots) {
    this.users = users;
    this.clients = clients;
    this.keys = keys;
    this.revocations = revocations;
    this.roots = roots;
  }

  @Override
  public void getAuthenticationRoots(GetAuthenticationRootsRequest request,
                                     StreamObserver<GetAuthenticationRootsResponse> response) {
    reply(response, roots.of(request.getDomain()));
  }

  @Override
  public void listRevocations(ListRevocationsRequest request, StreamObserver<ListRevocationsResponse> response) {
    ListRevocationsResponse.Builder out = ListRevocationsResponse.newBuilder();
    revocations.active().forEach(r -> out.addRevocations(Revocation.newBuilder()
        .setSubject(r.subject())
        .setRevokedUpToMs(r.upTo().toEpochMilli())));
    reply(response, out.build());
  }

  @Override
  public void getTokenKeys(GetTokenKeysRequest request, StreamObserver<GetTokenKeysResponse> response) {
    GetTokenKeysResponse.Builder out = GetTokenKeysResponse.newBuilder();
    keys.all().forEach(k -> out.addKeys(TokenKey.newBuilder()
        .setKeyId(k.keyId())
        .setPublicKey(ByteString.copyFrom(k.publicKey()))));
    reply(response, out.build());
  }

  @Override
  public void getClient(GetClientRequest request, StreamObserver<GetClientResponse> response) {
    reply(response, GetClientResponse.newBuilder().setClient(registered(clients.require(request.getClientId()))).build());
  }

  @Override
  public void listUserClients(ListUserClientsRequest request, StreamObserver<ListUserClientsResponse> response) {
    User user = users.find(request.getUserId());
    ListUserClientsResponse.Builder out = ListUserClientsResponse.newBuilder().setUserUuid(user.uuid().toString())
        .setSuspended(user.suspended());
    clients.of(user.uuid()).forEach(c -> out.addClients(registered(c)));
    reply(response, out.build());
  }

  @Override
  public void findUsersByPrefix(FindUsersByPrefixRequest request, StreamObserver<FindUsersByPrefixResponse> response) {
    reply(response, FindUsersByPrefixResponse.newBuilder()
        .addAllUserIds(users.activeWithPrefix(request.getHandlePrefix(), request.getLimit())).build());
  }

  @Override
  public void verifyPassword(VerifyPasswordRequest request, StreamObserver<VerifyPasswordResponse> response) {
    String handle = UserId.parse(request.getUserId()).filter(id -> id.domain().equals(users.domain()))
        .map(UserId::handle).orElse("");
    Optional<Users.SignedIn> signedIn = request.getCallerClientUuid().isEmpty() ? Optional.empty()
        : Optional.of(new Users.SignedIn(UUID.fromString(request.getCallerUserUuid()),
            UUID.fromString(request.getCallerClientUuid())));
    users.authenticate(handle, request.getPassword(), new Users.Caller(request.getCallerAddress(), signedIn));
    reply(response, VerifyPasswordResponse.getDefaultInstance());
  }

  @Override
  public void deleteUser(DeleteUserRequest request, StreamObserver<DeleteUserResponse> response) {
    users.delete(users.find(request.getUserId()));
    reply(response, DeleteUserResponse.getDefaultInstance());
  }

  private RegisteredClient registered(Client c) {
    ClientIdentity identity = clients.identity(c);
    return RegisteredClient.newBuilder()
        .setClientId(identity.clientId())
        .setUserId(identity.userId())
        .setUserUuid(c.userUuid().toString())
        .setSignatureScheme(SignatureScheme.forNumber(c.signatureScheme()))
        .setSignaturePublicKey(ByteString.copyFrom(c.signatureKey()))
        .setSuspended(c.userSuspended())
        .setCreatedAt(Protos.timestamp(c.createdAt()))
        .build();
  }
}
