package org.homeserver.auth;

import org.homeserver.platform.grpc.DeclaredRules;
import static org.homeserver.platform.grpc.Replies.reply;

import io.grpc.stub.StreamObserver;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.homeserver.api.admin.v1.AdminClientInfo;
import org.homeserver.api.admin.v1.AdminServiceGrpc;
import org.homeserver.api.admin.v1.CreateInviteRequest;
import org.homeserver.api.admin.v1.CreateInviteResponse;
import org.homeserver.api.admin.v1.DeleteUserRequest;
import org.homeserver.api.admin.v1.DeleteUserResponse;
import org.homeserver.api.admin.v1.DependencyStatus;
import org.homeserver.api.admin.v1.GetStatusRequest;
import org.homeserver.api.admin.v1.GetStatusResponse;
import org.homeserver.api.admin.v1.GetUserRequest;
import org.homeserver.api.admin.v1.GetUserResponse;
import org.homeserver.api.admin.v1.Invite;
import org.homeserver.api.admin.v1.ListInvitesRequest;
import org.homeserver.api.admin.v1.ListInvitesResponse;
import org.homeserver.api.admin.v1.ListUsersRequest;
import org.homeserver.api.admin.v1.ListUsersResponse;
import org.homeserver.api.admin.v1.SuspendUserRequest;
import org.homeserver.api.admin.v1.SuspendUserResponse;
import org.homeserver.api.admin.v1.UnsuspendUserRequest;
import org.homeserver.api.admin.v1.UnsuspendUserResponse;
import org.homeserver.api.admin.v1.UserState;
import org.homeserver.api.admin.v1.UserSummary;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.auth.AuthStore.Client;
import org.homeserver.auth.AuthStore.User;
import org.homeserver.platform.ServiceContext;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.Protos;

/** The operator's admin API: process status, users, invites. */
final class AdminGrpcService extends AdminServiceGrpc.AdminServiceImplBase {
  private static final Duration DEFAULT_INVITE_VALIDITY = Duration.ofSeconds(DeclaredRules.zeroMeans(
      CreateInviteRequest.getDescriptor(), CreateInviteRequest.VALID_FOR_SECONDS_FIELD_NUMBER));

  private final Users users;
  private final Clients clients;
  private final AuthStore store;
  private final ServiceContext context;
  private final ServiceDatabase database;
  private final SecureRandom random;
  private final Clock clock;

  AdminGrpcService(Users users, Clients clients, AuthStore store, ServiceContext context, ServiceDatabase database,
                   SecureRandom random) {
    this.users = users;
    this.clients = clients;
    this.store = store;
    this.context = context;
    this.database = database;
    this.random = random;
    this.clock = context.clock();
  }

  @Override
  public void getStatus(GetStatusRequest request, StreamObserver<GetStatusResponse> response) {
    AuthStore.Counts counts = store.counts();
    reply(response, GetStatusResponse.newBuilder()
        .setDomain(context.domain())
        .setServerVersion(context.process().version())
        .setStartedAt(Protos.timestamp(context.process().startedAt()))
        .addAllServices(context.process().services())
        .setDatabase(context.postgres().embedded() ? "embedded" : "external")
        .setSignalling(context.signals().kind())
        .setDatabaseOk(database.healthy())
        .setSignallingOk(context.signals().healthy())
        .setUserCount(counts.users())
        .setClientCount(counts.clients())
        .addAllDependencies(context.dependencies().statuses().stream().map(d -> DependencyStatus.newBuilder()
            .setName(d.name()).setUp(d.up()).setSince(Protos.timestamp(d.since())).setService(d.service().orElse(""))
            .build()).toList())
        .build());
  }

  @Override
  public void listUsers(ListUsersRequest request, StreamObserver<ListUsersResponse> response) {
    int size = Protos.pageSize(request.getPage());
    List<AuthStore.UserSummary> page = store.usersAfter(Protos.pagePosition(request.getPage()), size);
    ListUsersResponse.Builder out = ListUsersResponse.newBuilder();
    page.forEach(s -> out.addUsers(summary(s.user(), s.clientCount())));
    out.setPage(Protos.nextPage(page.size() == size, page.isEmpty() ? "" : page.getLast().user().handle()));
    reply(response, out.build());
  }

  @Override
  public void getUser(GetUserRequest request, StreamObserver<GetUserResponse> response) {
    User user = users.find(request.getUser());
    List<Client> owned = clients.of(user.uuid());
    GetUserResponse.Builder out = GetUserResponse.newBuilder().setUser(summary(user, owned.size()));
    for (Client c : owned) {
      AdminClientInfo.Builder info = AdminClientInfo.newBuilder()
          .setClientId(clients.identity(c).clientId())
          .setSignatureScheme(SignatureScheme.forNumber(c.signatureScheme()))
          .setLabel(c.label())
          .setCreatedAt(Protos.timestamp(c.createdAt()));
      c.lastSessionAt().ifPresent(t -> info.setLastSessionAt(Protos.timestamp(t)));
      out.addClients(info);
    }
    reply(response, out.build());
  }

  @Override
  public void suspendUser(SuspendUserRequest request, StreamObserver<SuspendUserResponse> response) {
    User user = users.setSuspended(users.find(request.getUser()), true);
    reply(response, SuspendUserResponse.newBuilder().setUser(summary(user, store.clientCount(user.uuid()))).build());
  }

  @Override
  public void unsuspendUser(UnsuspendUserRequest request, StreamObserver<UnsuspendUserResponse> response) {
    User user = users.setSuspended(users.find(request.getUser()), false);
    reply(response, UnsuspendUserResponse.newBuilder().setUser(summary(user, store.clientCount(user.uuid()))).build());
  }

  @Override
  public void deleteUser(DeleteUserRequest request, StreamObserver<DeleteUserResponse> response) {
    users.delete(users.find(request.getUser()));
    reply(response, DeleteUserResponse.getDefaultInstance());
  }

  @Override
  public void createInvite(CreateInviteRequest request, StreamObserver<CreateInviteResponse> response) {
    Duration validity = request.getValidForSeconds() == 0
        ? DEFAULT_INVITE_VALIDITY : Duration.ofSeconds(request.getValidForSeconds());
    byte[] secret = new byte[24];
    random.nextBytes(secret);
    Instant now = clock.instant();
    AuthStore.Invite invite = new AuthStore.Invite(Base64.getUrlEncoder().withoutPadding().encodeToString(secret),
        request.getNote(), now, now.plus(validity));
    store.insertInvite(invite);
    reply(response, CreateInviteResponse.newBuilder().setInvite(invite(invite)).build());
  }

  @Override
  public void listInvites(ListInvitesRequest request, StreamObserver<ListInvitesResponse> response) {
    int size = Protos.pageSize(request.getPage());
    String position = Protos.pagePosition(request.getPage());
    Instant before;
    try {
      before = position.isEmpty() ? clock.instant().plusSeconds(1) : Instant.parse(position);
    } catch (java.time.format.DateTimeParseException e) {
      throw Refusal.invalid("page.page_token is not a token this server gave out");
    }
    List<AuthStore.Invite> page = store.openInvites(clock.instant(), before, size);
    ListInvitesResponse.Builder out = ListInvitesResponse.newBuilder();
    page.forEach(i -> out.addInvites(invite(i)));
    out.setPage(Protos.nextPage(page.size() == size, page.isEmpty() ? "" : page.getLast().createdAt().toString()));
    reply(response, out.build());
  }

  private UserSummary summary(User user, int clientCount) {
    return UserSummary.newBuilder()
        .setUserId(users.idOf(user).toString())
        .setUserUuid(user.uuid().toString())
        .setState(user.suspended() ? UserState.USER_STATE_SUSPENDED : UserState.USER_STATE_ACTIVE)
        .setClientCount(clientCount)
        .setCreatedAt(Protos.timestamp(user.createdAt()))
        .build();
  }

  private static Invite invite(AuthStore.Invite i) {
    return Invite.newBuilder()
        .setToken(i.token())
        .setNote(i.note())
        .setCreatedAt(Protos.timestamp(i.createdAt()))
        .setExpiresAt(Protos.timestamp(i.expiresAt()))
        .build();
  }
}
