package org.homeserver.directory;

import org.homeserver.platform.grpc.DeclaredRules;
import static org.homeserver.platform.grpc.Replies.reply;

import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.common.v1.PageRequest;
import org.homeserver.api.directory.v1.AcceptConnectionRequest;
import org.homeserver.api.directory.v1.AcceptConnectionResponse;
import org.homeserver.api.directory.v1.BlockUserRequest;
import org.homeserver.api.directory.v1.BlockUserResponse;
import org.homeserver.api.directory.v1.CancelConnectionRequestRequest;
import org.homeserver.api.directory.v1.CancelConnectionRequestResponse;
import org.homeserver.api.directory.v1.Connection;
import org.homeserver.api.directory.v1.DeleteAccountRequest;
import org.homeserver.api.directory.v1.DeleteAccountResponse;
import org.homeserver.api.directory.v1.DirectoryServiceGrpc;
import org.homeserver.api.directory.v1.DiscoverUserRequest;
import org.homeserver.api.directory.v1.DiscoverUserResponse;
import org.homeserver.api.directory.v1.GetProfileRequest;
import org.homeserver.api.directory.v1.GetProfileResponse;
import org.homeserver.api.directory.v1.ListBlockedUsersRequest;
import org.homeserver.api.directory.v1.Profile;
import org.homeserver.api.directory.v1.ListBlockedUsersResponse;
import org.homeserver.api.directory.v1.ListConnectionRequestsRequest;
import org.homeserver.api.directory.v1.ListConnectionRequestsResponse;
import org.homeserver.api.directory.v1.ListConnectionsRequest;
import org.homeserver.api.directory.v1.ListConnectionsResponse;
import org.homeserver.api.directory.v1.RejectConnectionRequest;
import org.homeserver.api.directory.v1.RejectConnectionResponse;
import org.homeserver.api.directory.v1.RemoveConnectionRequest;
import org.homeserver.api.directory.v1.RemoveConnectionResponse;
import org.homeserver.api.directory.v1.RequestConnectionRequest;
import org.homeserver.api.directory.v1.RequestConnectionResponse;
import org.homeserver.api.directory.v1.SearchUsersRequest;
import org.homeserver.api.directory.v1.SearchUsersResponse;
import org.homeserver.api.directory.v1.SetDisplayNameRequest;
import org.homeserver.api.directory.v1.SetDisplayNameResponse;
import org.homeserver.api.directory.v1.UnblockUserRequest;
import org.homeserver.api.directory.v1.UnblockUserResponse;
import org.homeserver.directory.DirectoryStore.LinkKind;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.grpc.PeerAddress;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.Protos;
import org.homeserver.platform.ids.UserId;
import org.homeserver.platform.ratelimit.RateLimiter;
import org.homeserver.platform.ratelimit.RateLimits;

/** The directory's client API (directory.proto) over gRPC. */
final class DirectoryGrpcService extends DirectoryServiceGrpc.DirectoryServiceImplBase {
  private static final int DEFAULT_SEARCH = Math.toIntExact(DeclaredRules.zeroMeans(
      SearchUsersRequest.getDescriptor(), SearchUsersRequest.LIMIT_FIELD_NUMBER));

  private final Profiles profiles;
  private final Connections connections;
  private final AccountDeletion deletion;
  private final RateLimiter lookups;
  /** The users to search by handle prefix, when the operator allows it. */
  private final Optional<Accounts> prefixSearch;

  DirectoryGrpcService(Profiles profiles, Connections connections, AccountDeletion deletion, RateLimiter lookups,
      Optional<Accounts> prefixSearch) {
    this.profiles = profiles;
    this.connections = connections;
    this.deletion = deletion;
    this.lookups = lookups;
    this.prefixSearch = prefixSearch;
  }

  @Override
  public void deleteAccount(DeleteAccountRequest request, StreamObserver<DeleteAccountResponse> response) {
    deletion.deleteAccount(Principal.current(), request.getPassword(), PeerAddress.current());
    reply(response, DeleteAccountResponse.getDefaultInstance());
  }

  @Override
  public void getProfile(GetProfileRequest request, StreamObserver<GetProfileResponse> response) {
    Principal caller = Principal.current();
    String userId = request.getUserId().isEmpty() ? caller.userId() : request.getUserId();
    if (!userId.equals(caller.userId())) {
      limitLookups(caller);
    }
    reply(response, GetProfileResponse.newBuilder().setProfile(profileOf(caller, userId, userId))
        .setRelationship(connections.relationship(caller.userId(), userId)).build());
  }

  @Override
  public void setDisplayName(SetDisplayNameRequest request, StreamObserver<SetDisplayNameResponse> response) {
    reply(response, SetDisplayNameResponse.newBuilder()
        .setProfile(profiles.setDisplayName(Principal.current(), request.getDisplayName())).build());
  }

  @Override
  public void discoverUser(DiscoverUserRequest request, StreamObserver<DiscoverUserResponse> response) {
    Principal caller = Principal.current();
    limitLookups(caller);
    String userId = userIdOf(request.getQuery());
    reply(response, DiscoverUserResponse.newBuilder().setProfile(profileOf(caller, userId, request.getQuery()))
        .setRelationship(connections.relationship(caller.userId(), userId)).build());
  }

  /**
   * The profile of {@code userId} as {@code caller} may see it: its own; a visible user of this
   * domain's; or, for a user of another domain, what that user's homeserver answers to
   * {@code query} (USER_NOT_FOUND alike for unknown and suspended users, either way).
   */
  private Profile profileOf(Principal caller, String userId, String query) {
    Optional<String> remote = connections.remoteDomain(userId);
    if (remote.isPresent()) {
      return profiles.ofRemote(remote.get(), query, caller.userId());
    }
    if (!userId.equals(caller.userId())) {
      connections.requireVisible(userId);
    }
    return profiles.of(userId);
  }

  @Override
  public void searchUsers(SearchUsersRequest request, StreamObserver<SearchUsersResponse> response) {
    Accounts accounts = prefixSearch.orElseThrow(() -> Refusal.of(ErrorReason.PREFIX_SEARCH_DISABLED,
        "this homeserver finds users by their exact handle only"));
    String prefix = request.getHandlePrefix();
    int limit = request.getLimit() == 0 ? DEFAULT_SEARCH : request.getLimit();
    limitLookups(Principal.current());
    SearchUsersResponse.Builder out = SearchUsersResponse.newBuilder();
    accounts.withPrefix(prefix, limit).forEach(userId -> out.addProfiles(profiles.of(userId)));
    reply(response, out.build());
  }

  @Override
  public void requestConnection(RequestConnectionRequest request, StreamObserver<RequestConnectionResponse> response) {
    Principal caller = Principal.current();
    limitLookups(caller);
    reply(response, RequestConnectionResponse.newBuilder()
        .setConnection(connections.request(caller, request.getTargetUserId(), request.getIdempotencyKey())).build());
  }

  @Override
  public void acceptConnection(AcceptConnectionRequest request, StreamObserver<AcceptConnectionResponse> response) {
    reply(response, AcceptConnectionResponse.newBuilder()
        .setConnection(connections.accept(Principal.current(), request.getRequesterUserId())).build());
  }

  @Override
  public void rejectConnection(RejectConnectionRequest request, StreamObserver<RejectConnectionResponse> response) {
    connections.reject(Principal.current(), request.getRequesterUserId(), request.getBlock());
    reply(response, RejectConnectionResponse.getDefaultInstance());
  }

  @Override
  public void cancelConnectionRequest(CancelConnectionRequestRequest request,
      StreamObserver<CancelConnectionRequestResponse> response) {
    connections.cancel(Principal.current(), request.getTargetUserId());
    reply(response, CancelConnectionRequestResponse.getDefaultInstance());
  }

  @Override
  public void removeConnection(RemoveConnectionRequest request, StreamObserver<RemoveConnectionResponse> response) {
    connections.remove(Principal.current(), request.getUserId());
    reply(response, RemoveConnectionResponse.getDefaultInstance());
  }

  @Override
  public void blockUser(BlockUserRequest request, StreamObserver<BlockUserResponse> response) {
    connections.block(Principal.current(), request.getUserId());
    reply(response, BlockUserResponse.getDefaultInstance());
  }

  @Override
  public void unblockUser(UnblockUserRequest request, StreamObserver<UnblockUserResponse> response) {
    connections.unblock(Principal.current(), request.getUserId());
    reply(response, UnblockUserResponse.getDefaultInstance());
  }

  @Override
  public void listConnections(ListConnectionsRequest request, StreamObserver<ListConnectionsResponse> response) {
    Page page = page(request.getPage(), (after, limit) ->
        connections.list(Principal.current().userId(), LinkKind.CONNECTED, after, limit));
    reply(response, ListConnectionsResponse.newBuilder().addAllConnections(page.items()).setPage(page.next()).build());
  }

  @Override
  public void listConnectionRequests(ListConnectionRequestsRequest request,
      StreamObserver<ListConnectionRequestsResponse> response) {
    LinkKind kind = switch (request.getDirection()) {
      case REQUEST_DIRECTION_INCOMING -> LinkKind.RECEIVED;
      case REQUEST_DIRECTION_OUTGOING -> LinkKind.SENT;
      default -> throw new IllegalStateException("the request rules admit INCOMING and OUTGOING only");
    };
    Page page = page(request.getPage(), (after, limit) ->
        connections.list(Principal.current().userId(), kind, after, limit));
    reply(response, ListConnectionRequestsResponse.newBuilder().addAllRequests(page.items()).setPage(page.next())
        .build());
  }

  @Override
  public void listBlockedUsers(ListBlockedUsersRequest request, StreamObserver<ListBlockedUsersResponse> response) {
    Page page = page(request.getPage(), (after, limit) -> connections.blocks(Principal.current().userId(), after, limit));
    reply(response, ListBlockedUsersResponse.newBuilder().addAllBlocked(page.items()).setPage(page.next()).build());
  }

  private void limitLookups(Principal caller) {
    RateLimits.check(lookups, caller.userId(), "too many lookups; wait a little");
  }

  /** The user id a person typed: `handle@domain` or a user id, compared exactly (domain lower-cased). */
  static String userIdOf(String query) {
    Optional<UserId> id = UserId.parse(query);
    if (id.isEmpty()) {
      int at = query.lastIndexOf('@');
      if (at > 0) {
        id = Optional.of(query.substring(at + 1).toLowerCase(Locale.ROOT))
            .filter(UserId::isDomain)
            .flatMap(domain -> Optional.of(query.substring(0, at)).filter(UserId::isHandle)
                .map(handle -> new UserId(domain, handle)));
      }
    }
    return id.map(UserId::toString).orElseThrow(() -> Refusal.invalidField("query",
        "give a qualified handle (alice@example.org) or a user id (mimi://example.org/u/alice)"));
  }

  private record Page(List<Connection> items, org.homeserver.api.common.v1.PageResponse next) {}

  private interface Lister {
    List<Connection> list(String after, int limit);
  }

  /** One page after the request's position; the next page starts after the last user id returned. */
  private static Page page(PageRequest request, Lister lister) {
    int size = Protos.pageSize(request);
    List<Connection> items = lister.list(Protos.pagePosition(request), size);
    return new Page(items, Protos.nextPage(items.size() == size, items.isEmpty() ? "" : items.getLast().getUserId()));
  }
}
