package org.homeserver.auth;

import static org.homeserver.platform.grpc.Replies.reply;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import org.homeserver.api.auth.v1.AuthServiceGrpc;
import org.homeserver.api.auth.v1.ChangePasswordRequest;
import org.homeserver.api.auth.v1.ChangePasswordResponse;
import org.homeserver.api.auth.v1.ClientInfo;
import org.homeserver.api.auth.v1.CreateChallengeRequest;
import org.homeserver.api.auth.v1.CreateChallengeResponse;
import org.homeserver.api.auth.v1.CreateSessionRequest;
import org.homeserver.api.auth.v1.CreateSessionResponse;
import org.homeserver.api.auth.v1.DeleteClientRequest;
import org.homeserver.api.auth.v1.DeleteClientResponse;
import org.homeserver.api.auth.v1.GetAuthenticationRootsRequest;
import org.homeserver.api.auth.v1.GetAuthenticationRootsResponse;
import org.homeserver.api.auth.v1.GetServerInfoRequest;
import org.homeserver.api.auth.v1.GetServerInfoResponse;
import org.homeserver.api.auth.v1.ListClientsRequest;
import org.homeserver.api.auth.v1.ListClientsResponse;
import org.homeserver.api.auth.v1.RegisterClientRequest;
import org.homeserver.api.auth.v1.RegisterClientResponse;
import org.homeserver.api.auth.v1.RegisterUserRequest;
import org.homeserver.api.auth.v1.RegisterUserResponse;
import org.homeserver.api.auth.v1.RegistrationPolicy;
import org.homeserver.api.auth.v1.RenewCredentialRequest;
import org.homeserver.api.auth.v1.RenewCredentialResponse;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.auth.AuthStore.Challenge;
import org.homeserver.auth.AuthStore.Client;
import org.homeserver.auth.AuthStore.User;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.grpc.PeerAddress;
import org.homeserver.platform.grpc.Protos;
import org.homeserver.platform.ratelimit.RateLimiter;
import org.homeserver.platform.ratelimit.RateLimits;

/** The client API of the Authentication Service: proto in, rules, proto out. */
final class AuthGrpcService extends AuthServiceGrpc.AuthServiceImplBase {
  private final Users users;
  private final Clients clients;
  private final Sessions sessions;
  private final AuthenticationRoots roots;
  private final RateLimiter registrations;
  private final Duration tokenTtl;
  private final String version;

  AuthGrpcService(Users users, Clients clients, Sessions sessions, AuthenticationRoots roots,
                  RateLimiter registrations, Duration tokenTtl, String version) {
    this.users = users;
    this.clients = clients;
    this.sessions = sessions;
    this.roots = roots;
    this.registrations = registrations;
    this.tokenTtl = tokenTtl;
    this.version = version;
  }

  @Override
  public void getServerInfo(GetServerInfoRequest request, StreamObserver<GetServerInfoResponse> response) {
    reply(response, GetServerInfoResponse.newBuilder()
        .setDomain(users.domain())
        .setRegistrationPolicy(switch (users.registration()) {
          case OPEN -> RegistrationPolicy.REGISTRATION_POLICY_OPEN;
          case INVITE -> RegistrationPolicy.REGISTRATION_POLICY_INVITE;
          case CLOSED -> RegistrationPolicy.REGISTRATION_POLICY_CLOSED;
        })
        .addAllSignatureSchemes(List.of(SignatureScheme.ED25519, SignatureScheme.ECDSA_SECP256R1_SHA256))
        .setServerVersion(version)
        .setAccessTokenTtlSeconds(tokenTtl.toSeconds())
        .build());
  }

  @Override
  public void getAuthenticationRoots(GetAuthenticationRootsRequest request,
                                     StreamObserver<GetAuthenticationRootsResponse> response) {
    reply(response, roots.of(request.getDomain()));
  }

  @Override
  public void registerUser(RegisterUserRequest request, StreamObserver<RegisterUserResponse> response) {
    limitPeer();
    User user = users.register(request.getHandle(), request.getPassword(), request.getInviteToken());
    reply(response, RegisterUserResponse.newBuilder()
        .setUserId(users.idOf(user).toString())
        .setUserUuid(user.uuid().toString())
        .build());
  }

  @Override
  public void registerClient(RegisterClientRequest request, StreamObserver<RegisterClientResponse> response) {
    limitPeer();
    Clients.Registered registered = clients.register(new Clients.Registration(request.getHandle(),
        request.getPassword(), request.getSignatureScheme(), request.getSignaturePublicKey().toByteArray(),
        request.getProofOfPossession().toByteArray(), request.getIdempotencyKey(), request.getLabel()), caller());
    reply(response, RegisterClientResponse.newBuilder()
        .setClientId(registered.identity().clientId())
        .addAllCertificateChain(registered.chain().stream().map(ByteString::copyFrom).toList())
        .setNotAfter(Protos.timestamp(registered.client().credentialNotAfter()))
        .build());
  }

  @Override
  public void createChallenge(CreateChallengeRequest request, StreamObserver<CreateChallengeResponse> response) {
    Challenge challenge = sessions.challenge(request.getClientId(), PeerAddress.current());
    reply(response, CreateChallengeResponse.newBuilder()
        .setChallengeId(challenge.id().toString())
        .setNonce(ByteString.copyFrom(challenge.nonce()))
        .setExpiresAt(Protos.timestamp(challenge.expiresAt()))
        .build());
  }

  @Override
  public void createSession(CreateSessionRequest request, StreamObserver<CreateSessionResponse> response) {
    Sessions.Session session = sessions.create(request.getClientId(), request.getChallengeId(),
        request.getSignature().toByteArray(), PeerAddress.current());
    reply(response, CreateSessionResponse.newBuilder()
        .setAccessToken(session.token())
        .setExpiresAt(Protos.timestamp(session.expiresAt()))
        .setUserId(session.userId())
        .build());
  }

  @Override
  public void listClients(ListClientsRequest request, StreamObserver<ListClientsResponse> response) {
    Principal me = Principal.current();
    ListClientsResponse.Builder out = ListClientsResponse.newBuilder()
        .setUserId(me.userId())
        .setUserUuid(me.userUuid().toString());
    for (Client c : clients.of(me.userUuid())) {
      ClientInfo.Builder info = ClientInfo.newBuilder()
          .setClientId(clients.identity(c).clientId())
          .setSignatureScheme(SignatureScheme.forNumber(c.signatureScheme()))
          .setSignaturePublicKey(ByteString.copyFrom(c.signatureKey()))
          .setLabel(c.label())
          .setCreatedAt(Protos.timestamp(c.createdAt()))
          .setCredentialNotAfter(Protos.timestamp(c.credentialNotAfter()));
      c.lastSessionAt().ifPresent(t -> info.setLastSessionAt(Protos.timestamp(t)));
      out.addClients(info);
    }
    reply(response, out.build());
  }

  @Override
  public void deleteClient(DeleteClientRequest request, StreamObserver<DeleteClientResponse> response) {
    clients.delete(Principal.current().userUuid(), request.getClientId());
    reply(response, DeleteClientResponse.getDefaultInstance());
  }

  @Override
  public void renewCredential(RenewCredentialRequest request, StreamObserver<RenewCredentialResponse> response) {
    Clients.Registered renewed = clients.renew(Principal.current().clientUuid());
    reply(response, RenewCredentialResponse.newBuilder()
        .addAllCertificateChain(renewed.chain().stream().map(ByteString::copyFrom).toList())
        .setNotAfter(Protos.timestamp(renewed.client().credentialNotAfter()))
        .build());
  }

  @Override
  public void changePassword(ChangePasswordRequest request, StreamObserver<ChangePasswordResponse> response) {
    users.changePassword(Principal.current().userUuid(), request.getCurrentPassword(), request.getNewPassword(),
        caller());
    reply(response, ChangePasswordResponse.getDefaultInstance());
  }

  /** Who this call comes from, for password checks. */
  private static Users.Caller caller() {
    return Users.Caller.of(PeerAddress.current(), Principal.ifPresent());
  }

  private void limitPeer() {
    RateLimits.check(registrations, "peer:" + PeerAddress.current(), "too many registration attempts from this address");
  }
}
