package org.homeserver.launcher;

import static org.homeserver.launcher.Failures.assertFails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Map;
import org.homeserver.api.admin.v1.SuspendUserRequest;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.directory.v1.AcceptConnectionRequest;
import org.homeserver.api.directory.v1.BlockUserRequest;
import org.homeserver.api.directory.v1.CancelConnectionRequestRequest;
import org.homeserver.api.directory.v1.DiscoverUserRequest;
import org.homeserver.api.directory.v1.GetProfileRequest;
import org.homeserver.api.directory.v1.ListConnectionRequestsRequest;
import org.homeserver.api.directory.v1.ListConnectionsRequest;
import org.homeserver.api.directory.v1.RejectConnectionRequest;
import org.homeserver.api.directory.v1.Relationship;
import org.homeserver.api.directory.v1.RemoveConnectionRequest;
import org.homeserver.api.directory.v1.RequestConnectionRequest;
import org.homeserver.api.directory.v1.RequestDirection;
import org.homeserver.api.directory.v1.SearchUsersRequest;
import org.homeserver.api.directory.v1.SetDisplayNameRequest;
import org.homeserver.api.directory.v1.UnblockUserRequest;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.GetKeyPackageCountRequest;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.TestMessages;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.platform.grpc.ErrorStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The directory over gRPC: discovery that cannot enumerate, display names with their event to group
 * peers, and the life of a connection with the events each step sends and the adds it allows.
 */
class DirectoryTest {
  private static final int LOOKUPS = 20;
  private static TestHomeserver server;

  @BeforeAll
  static void start() throws Exception {
    server = TestHomeserver.start(Map.of("directory.lookups-per-minute", Integer.toString(LOOKUPS)));
    for (String handle : List.of("alice", "bob", "carol", "dave", "suspect", "erin", "frank", "gina", "hank")) {
      server.registerUser(handle);
    }
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static List<ServerEvent.EventCase> events(TestMember member) {
    return member.drain().stream().map(QueueEntry::getEvent).map(ServerEvent::getEventCase).toList();
  }

  @Test
  void discoveryFindsExactNamesOnlyAndUnknownLooksLikeSuspended() {
    TestMember alice = TestMember.register(server, "alice");
    var found = alice.directory().discoverUser(DiscoverUserRequest.newBuilder().setQuery("bob@EXAMPLE.org").build());
    assertEquals("mimi://example.org/u/bob", found.getProfile().getUserId());
    assertEquals(Relationship.RELATIONSHIP_NONE, found.getRelationship());
    assertEquals("mimi://example.org/u/bob", alice.directory().discoverUser(DiscoverUserRequest.newBuilder()
        .setQuery("mimi://example.org/u/bob").build()).getProfile().getUserId());

    server.admin().suspendUser(SuspendUserRequest.newBuilder().setUser("suspect").build());
    StatusRuntimeException unknown = assertFails(Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND, () -> alice.directory()
        .discoverUser(DiscoverUserRequest.newBuilder().setQuery("nobody@example.org").build()));
    StatusRuntimeException suspended = assertFails(Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND, () -> alice.directory()
        .discoverUser(DiscoverUserRequest.newBuilder().setQuery("suspect@example.org").build()));
    assertEquals(unknown.getStatus().getDescription(), suspended.getStatus().getDescription());
    assertFails(Code.NOT_FOUND, ErrorReason.USER_NOT_FOUND, () -> alice.directory()
        .discoverUser(DiscoverUserRequest.newBuilder().setQuery("bobby@example.org").build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> alice.directory()
        .discoverUser(DiscoverUserRequest.newBuilder().setQuery("bob").build()));
    // A well-formed prefix (the request rules come first: "bo" is INVALID_ARGUMENT wherever it goes).
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.PREFIX_SEARCH_DISABLED, () -> alice.directory()
        .searchUsers(SearchUsersRequest.newBuilder().setHandlePrefix("bob").build()));
  }

  @Test
  void prefixSearchWhenTheOperatorAllowsItLeavesSuspendedUsersOut() throws Exception {
    try (TestHomeserver searchable = TestHomeserver.start(Map.of("directory.prefix-search", "true"))) {
      for (String handle : List.of("sam", "sammy", "samuel", "sandra")) {
        searchable.registerUser(handle);
      }
      searchable.admin().suspendUser(SuspendUserRequest.newBuilder().setUser("samuel").build());
      TestMember sandra = TestMember.register(searchable, "sandra");
      var found = sandra.directory().searchUsers(SearchUsersRequest.newBuilder().setHandlePrefix("sam").build());
      assertEquals(List.of("mimi://example.org/u/sam", "mimi://example.org/u/sammy"),
          found.getProfilesList().stream().map(p -> p.getUserId()).toList());
      assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> sandra.directory().searchUsers(
          SearchUsersRequest.newBuilder().setHandlePrefix("sa").build()));
    }
  }

  @Test
  void lookupsAreRateLimitedPerUser() {
    TestMember frank = TestMember.register(server, "frank");
    DiscoverUserRequest query = DiscoverUserRequest.newBuilder().setQuery("alice@example.org").build();
    StatusRuntimeException limited = null;
    for (int i = 0; i <= LOOKUPS && limited == null; i++) {
      try {
        frank.directory().discoverUser(query);
      } catch (StatusRuntimeException e) {
        limited = e;
      }
    }
    assertTrue(limited != null, "no rate limit after " + LOOKUPS + " lookups");
    assertEquals(ErrorReason.RATE_LIMITED.name(), ErrorStatus.errorInfo(limited).orElseThrow().getReason());
    // The user's other clients share the limit.
    assertFails(Code.RESOURCE_EXHAUSTED, ErrorReason.RATE_LIMITED,
        () -> TestMember.register(server, "frank").directory().discoverUser(query));
  }

  @Test
  void aConnectionsLifeSendsItsEventsAndOpensAdds() {
    TestMember carol = TestMember.register(server, "carol");
    TestMember carolElsewhere = TestMember.register(server, "carol");
    TestMember dave = TestMember.register(server, "dave");
    String carolId = carol.client.userId();
    String daveId = dave.client.userId();

    var sent = carol.directory().requestConnection(RequestConnectionRequest.newBuilder().setTargetUserId(daveId).build());
    assertEquals(Relationship.RELATIONSHIP_REQUEST_SENT, sent.getConnection().getRelationship());
    assertTrue(sent.getConnection().getClaimRightAvailable());
    assertEquals(List.of(ServerEvent.EventCase.CONNECTION_REQUESTED), events(dave));
    assertEquals(List.of(ServerEvent.EventCase.CONNECTION_REQUESTED), events(carolElsewhere));
    assertEquals(List.of(), events(carol), "the calling client is not told");
    assertFails(Code.ALREADY_EXISTS, ErrorReason.CONNECTION_EXISTS, () -> dave.directory().requestConnection(
        RequestConnectionRequest.newBuilder().setTargetUserId(carolId).build()));
    assertEquals(daveId, carol.directory().listConnectionRequests(ListConnectionRequestsRequest.newBuilder()
        .setDirection(RequestDirection.REQUEST_DIRECTION_OUTGOING).build()).getRequests(0).getUserId());

    // Under the pending request carol may add dave's client to her connection group.
    byte[] groupId = TestMessages.random(16);
    carol.createGroup(groupId);
    KeyPackage kp = dave.keyPackage(server);
    carol.commit(groupId, new Proposal.Add(kp));
    assertTrue(dave.drain().getFirst().hasWelcome());

    var accepted = dave.directory().acceptConnection(AcceptConnectionRequest.newBuilder()
        .setRequesterUserId(carolId).build());
    assertEquals(Relationship.RELATIONSHIP_CONNECTED, accepted.getConnection().getRelationship());
    assertEquals(List.of(ServerEvent.EventCase.CONNECTION_ACCEPTED), events(carol));
    assertEquals(daveId, carol.directory().listConnections(ListConnectionsRequest.getDefaultInstance())
        .getConnections(0).getUserId());

    // A display name change reaches the group peers.
    dave.directory().setDisplayName(SetDisplayNameRequest.newBuilder().setDisplayName("  Dave ").build());
    List<QueueEntry> told = carol.drain();
    assertEquals("Dave", told.getLast().getEvent().getProfileChanged().getDisplayName());
    assertEquals("Dave", carol.directory().getProfile(GetProfileRequest.newBuilder().setUserId(daveId).build())
        .getProfile().getDisplayName());
    // Too long is DISPLAY_NAME_INVALID however long: the field's rule, not the common limit of strings.
    for (String bad : List.of("", "   ", "x".repeat(65), "x".repeat(10_000), "tab\there")) {
      StatusRuntimeException refused = assertFails(Code.INVALID_ARGUMENT, ErrorReason.DISPLAY_NAME_INVALID,
          () -> dave.directory().setDisplayName(SetDisplayNameRequest.newBuilder().setDisplayName(bad).build()));
      assertEquals("display_name", ErrorStatus.errorInfo(refused).orElseThrow().getMetadataOrThrow("field"));
    }
    assertEquals("Dave", carol.directory().getProfile(GetProfileRequest.newBuilder().setUserId(daveId).build())
        .getProfile().getDisplayName());

    dave.directory().removeConnection(RemoveConnectionRequest.newBuilder().setUserId(carolId).build());
    assertTrue(events(carol).contains(ServerEvent.EventCase.CONNECTION_REMOVED));
    assertFails(Code.NOT_FOUND, ErrorReason.CONNECTION_NOT_FOUND, () -> dave.directory().removeConnection(
        RemoveConnectionRequest.newBuilder().setUserId(carolId).build()));
  }

  @Test
  void aCancellationTellsTheTargetAndEndsTheClaimRight() {
    TestMember erin = TestMember.register(server, "erin");
    TestMember bob = TestMember.register(server, "bob");
    String bobId = bob.client.userId();

    erin.directory().requestConnection(RequestConnectionRequest.newBuilder().setTargetUserId(bobId).build());
    erin.directory().cancelConnectionRequest(CancelConnectionRequestRequest.newBuilder().setTargetUserId(bobId)
        .build());
    List<ServerEvent.EventCase> bobSaw = events(bob);
    assertEquals(ServerEvent.EventCase.CONNECTION_CANCELLED, bobSaw.getLast());
    assertFalse(bobSaw.contains(ServerEvent.EventCase.CONNECTION_ACCEPTED));

    // With the request gone, bob's clients can no longer be added.
    assertCannotAdd(erin, bob);
  }

  @Test
  void aBlockedRequesterIsNeverToldAndItsRequestWaitsUnseenUntilTheBlockIsLifted() {
    TestMember gina = TestMember.register(server, "gina");
    TestMember ginaElsewhere = TestMember.register(server, "gina");
    TestMember hank = TestMember.register(server, "hank");
    String ginaId = gina.client.userId();
    String hankId = hank.client.userId();
    hank.publishKeyPackages(server, 3);
    RequestConnectionRequest ask = RequestConnectionRequest.newBuilder().setTargetUserId(hankId).build();

    gina.directory().requestConnection(ask);
    hank.directory().rejectConnection(RejectConnectionRequest.newBuilder().setRequesterUserId(ginaId).setBlock(true)
        .build());
    events(ginaElsewhere);
    assertEquals(List.of(ServerEvent.EventCase.CONNECTION_REJECTED), events(gina), "told of the rejection");
    assertEquals(Relationship.RELATIONSHIP_NONE, relationship(gina, hankId), "not of the block");
    events(hank);

    // Asked again, gina sees a pending request like any other; hank sees nothing of it.
    var held = gina.directory().requestConnection(ask).getConnection();
    assertEquals(Relationship.RELATIONSHIP_REQUEST_SENT, held.getRelationship());
    assertTrue(held.getClaimRightAvailable());
    assertEquals(List.of(ServerEvent.EventCase.CONNECTION_REQUESTED), events(ginaElsewhere));
    assertEquals(Relationship.RELATIONSHIP_REQUEST_SENT, relationship(gina, hankId));
    assertEquals(List.of(hankId), requests(gina, RequestDirection.REQUEST_DIRECTION_OUTGOING));
    var again = assertFails(Code.ALREADY_EXISTS, ErrorReason.CONNECTION_EXISTS, () -> gina.directory()
        .requestConnection(ask));
    assertEquals(Relationship.RELATIONSHIP_REQUEST_SENT.name(), ErrorStatus.errorInfo(again).orElseThrow()
        .getMetadataMap().get("relationship"));

    assertEquals(List.of(), events(hank));
    assertEquals(List.of(), requests(hank, RequestDirection.REQUEST_DIRECTION_INCOMING));
    assertEquals(Relationship.RELATIONSHIP_BLOCKED, relationship(hank, ginaId));
    assertFails(Code.NOT_FOUND, ErrorReason.CONNECTION_NOT_FOUND, () -> hank.directory().acceptConnection(
        AcceptConnectionRequest.newBuilder().setRequesterUserId(ginaId).build()));

    // Under the held request gina finds no KeyPackage of hank's and cannot add his clients.
    assertFails(Code.NOT_FOUND, ErrorReason.NO_KEY_PACKAGE, () -> gina.keyPackages().claimKeyPackages(
        ClaimKeyPackagesRequest.newBuilder().setUserId(hankId).setCipherSuite(hank.suite.code()).build()));
    assertEquals(3, hank.keyPackages().getKeyPackageCount(GetKeyPackageCountRequest.getDefaultInstance())
        .getCounts(0).getCount());
    assertCannotAdd(gina, hank);

    // Withdrawn, it tells only gina's clients; asked once more, it waits for hank's unblocking.
    gina.directory().cancelConnectionRequest(CancelConnectionRequestRequest.newBuilder().setTargetUserId(hankId)
        .build());
    assertEquals(List.of(ServerEvent.EventCase.CONNECTION_CANCELLED), events(ginaElsewhere));
    gina.directory().requestConnection(ask);
    assertEquals(List.of(), events(hank));
    hank.directory().unblockUser(UnblockUserRequest.newBuilder().setUserId(ginaId).build());
    assertEquals(List.of(ServerEvent.EventCase.CONNECTION_REQUESTED), events(hank), "the request arrives now");
    assertEquals(List.of(ginaId), requests(hank, RequestDirection.REQUEST_DIRECTION_INCOMING));
    hank.directory().acceptConnection(AcceptConnectionRequest.newBuilder().setRequesterUserId(ginaId).build());
    assertTrue(events(gina).contains(ServerEvent.EventCase.CONNECTION_ACCEPTED));
    assertEquals(Relationship.RELATIONSHIP_CONNECTED, relationship(gina, hankId));
    hank.directory().removeConnection(RemoveConnectionRequest.newBuilder().setUserId(ginaId).build());
  }

  @Test
  void aBlockersOwnRequestTakesThePlaceOfTheOneItHolds() {
    TestMember gina = TestMember.register(server, "gina");
    TestMember hank = TestMember.register(server, "hank");
    String ginaId = gina.client.userId();
    String hankId = hank.client.userId();
    hank.directory().blockUser(BlockUserRequest.newBuilder().setUserId(ginaId).build());
    gina.directory().requestConnection(RequestConnectionRequest.newBuilder().setTargetUserId(hankId).build());
    hank.directory().blockUser(BlockUserRequest.newBuilder().setUserId(ginaId).build());
    assertEquals(Relationship.RELATIONSHIP_REQUEST_SENT, relationship(gina, hankId), "blocking again ends nothing");
    events(gina);

    hank.directory().requestConnection(RequestConnectionRequest.newBuilder().setTargetUserId(ginaId).build());
    assertEquals(List.of(ServerEvent.EventCase.CONNECTION_REQUESTED), events(gina));
    assertEquals(Relationship.RELATIONSHIP_REQUEST_RECEIVED, relationship(gina, hankId));
    assertEquals(Relationship.RELATIONSHIP_REQUEST_SENT, relationship(hank, ginaId));
    hank.directory().cancelConnectionRequest(CancelConnectionRequestRequest.newBuilder().setTargetUserId(ginaId)
        .build());
    hank.directory().unblockUser(UnblockUserRequest.newBuilder().setUserId(ginaId).build());
  }

  /** {@code adder} cannot add a client of {@code target}'s to a group of its own, whatever KeyPackage it has. */
  private static void assertCannotAdd(TestMember adder, TestMember target) {
    TestGroup group = adder.createGroup(TestMessages.random(16));
    TestGroup.Pending add = group.commit(adder.member(), new Proposal.Add(target.keyPackage(server)));
    assertFails(Code.PERMISSION_DENIED, ErrorReason.ADD_NOT_ALLOWED,
        () -> adder.sendBundle(add.commit(), add.welcome()));
  }

  private static Relationship relationship(TestMember viewer, String other) {
    return viewer.directory().getProfile(GetProfileRequest.newBuilder().setUserId(other).build()).getRelationship();
  }

  private static List<String> requests(TestMember member, RequestDirection direction) {
    return member.directory().listConnectionRequests(ListConnectionRequestsRequest.newBuilder()
        .setDirection(direction).build()).getRequestsList().stream().map(c -> c.getUserId()).toList();
  }
}
