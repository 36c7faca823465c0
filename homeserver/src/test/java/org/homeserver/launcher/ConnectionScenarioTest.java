package org.homeserver.launcher;

import static org.homeserver.launcher.Failures.assertFails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.homeserver.api.auth.v1.RegisterUserRequest;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.GetGroupRequest;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.directory.v1.AcceptConnectionRequest;
import org.homeserver.api.directory.v1.DeleteAccountRequest;
import org.homeserver.api.directory.v1.DiscoverUserRequest;
import org.homeserver.api.directory.v1.RejectConnectionRequest;
import org.homeserver.api.directory.v1.RequestConnectionRequest;
import org.homeserver.api.directory.v1.SetDisplayNameRequest;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.ClaimedKeyPackage;
import org.homeserver.mls.TestMessages;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.Proposal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two users find and connect with each other over real gRPC ports, as the requirements walk it:
 * KeyPackages published, discovery, a request with its one-time claim, the connection group with
 * its Welcome, acceptance or rejection, messages both ways, a display name change, and account
 * deletion, each with the events the other side's clients must see.
 */
class ConnectionScenarioTest {
  private TestHomeserver server;

  @BeforeEach
  void start() throws Exception {
    server = TestHomeserver.withUsers("alice", "bob");
  }

  @AfterEach
  void stop() {
    server.close();
  }



  private static List<ServerEvent.EventCase> eventsOf(List<QueueEntry> entries) {
    return entries.stream().filter(QueueEntry::hasEvent).map(e -> e.getEvent().getEventCase()).toList();
  }

  private static List<ByteString> messagesOf(List<QueueEntry> entries) {
    return entries.stream().filter(QueueEntry::hasMessage).map(e -> e.getMessage().getMlsMessage()).toList();
  }

  private static KeyPackage decode(ClaimedKeyPackage claimed) {
    try {
      return ((MlsMessage.KeyPackageBody) MlsMessage.decode(claimed.getKeyPackage().toByteArray()).body()).keyPackage();
    } catch (MlsDecodeException e) {
      throw new AssertionError("a claimed KeyPackage does not decode", e);
    }
  }

  @Test
  void aliceAndBobConnectTalkRenameAndPart() {
    TestMember a1 = TestMember.register(server, "alice");
    TestMember a2 = TestMember.register(server, "alice");
    TestMember b1 = TestMember.register(server, "bob");
    TestMember b2 = TestMember.register(server, "bob");
    for (TestMember member : List.of(a1, a2, b1, b2)) {
      member.publishKeyPackages(server, 3);
    }
    String bob = b1.client.userId();
    String alice = a1.client.userId();

    assertEquals(bob, a1.directory().discoverUser(DiscoverUserRequest.newBuilder().setQuery("bob@example.org")
        .build()).getProfile().getUserId());
    a1.directory().requestConnection(RequestConnectionRequest.newBuilder().setTargetUserId(bob).build());
    List<ClaimedKeyPackage> claimed = a1.keyPackages().claimKeyPackages(ClaimKeyPackagesRequest.newBuilder()
        .setUserId(bob).setCipherSuite(a1.suite.code()).setIdempotencyKey(UUID.randomUUID().toString()).build())
        .getKeyPackagesList();
    assertEquals(Set.of(b1.id(), b2.id()), claimed.stream().map(ClaimedKeyPackage::getClientId)
        .collect(Collectors.toSet()));
    assertFails(Code.FAILED_PRECONDITION, ErrorReason.CLAIM_RIGHT_USED, () -> a1.keyPackages().claimKeyPackages(
        ClaimKeyPackagesRequest.newBuilder().setUserId(bob).setCipherSuite(a1.suite.code()).build()));

    // The connection group: alice's two clients and bob's two.
    byte[] groupId = TestMessages.random(16);
    a1.createGroup(groupId);
    List<KeyPackage> added = new ArrayList<>(claimed.stream().map(ConnectionScenarioTest::decode).toList());
    added.add(a2.keyPackage(server));
    a1.commit(groupId, added.stream().map(Proposal.Add::new).toArray(Proposal[]::new));
    for (TestMember bobClient : List.of(b1, b2)) {
      List<QueueEntry> entries = bobClient.drain();
      assertTrue(entries.stream().anyMatch(QueueEntry::hasWelcome), "a Welcome for " + bobClient.id());
      assertTrue(eventsOf(entries).contains(ServerEvent.EventCase.CONNECTION_REQUESTED));
    }
    assertEquals(4, a1.delivery().getGroup(GetGroupRequest.newBuilder().setGroupId(ByteString.copyFrom(groupId))
        .build()).getGroup().getMembersCount());

    b1.directory().acceptConnection(AcceptConnectionRequest.newBuilder().setRequesterUserId(alice).build());
    for (TestMember aliceClient : List.of(a1, a2)) {
      assertTrue(eventsOf(aliceClient.drain()).contains(ServerEvent.EventCase.CONNECTION_ACCEPTED));
    }

    byte[] fromAlice = TestMessages.application(groupId, 1, 50);
    a1.send(fromAlice);
    byte[] fromBob = TestMessages.application(groupId, 1, 50);
    b2.send(fromBob);
    assertEquals(List.of(ByteString.copyFrom(fromAlice)), messagesOf(b2.drain()));
    assertEquals(List.of(ByteString.copyFrom(fromAlice), ByteString.copyFrom(fromBob)), messagesOf(b1.drain()));
    assertEquals(List.of(ByteString.copyFrom(fromBob)), messagesOf(a1.drain()));
    assertEquals(List.of(ByteString.copyFrom(fromAlice), ByteString.copyFrom(fromBob)), messagesOf(a2.drain()));

    b1.directory().setDisplayName(SetDisplayNameRequest.newBuilder().setDisplayName("Bob").build());
    for (TestMember aliceClient : List.of(a1, a2)) {
      List<QueueEntry> entries = aliceClient.drain();
      assertEquals("Bob", entries.getLast().getEvent().getProfileChanged().getDisplayName());
    }

    a1.directory().deleteAccount(DeleteAccountRequest.newBuilder().setPassword(TestHomeserver.PASSWORD).build());
    for (TestMember bobClient : List.of(b1, b2)) {
      List<QueueEntry> entries = bobClient.drain();
      assertEquals(alice, entries.getLast().getEvent().getUserDeleted().getUserId());
    }
    assertFails(Code.UNAUTHENTICATED, ErrorReason.TOKEN_REVOKED, () -> a2.delivery().getGroup(
        GetGroupRequest.newBuilder().setGroupId(ByteString.copyFrom(groupId)).build()));
    assertFails(Code.ALREADY_EXISTS, ErrorReason.HANDLE_TAKEN, () -> server.auth().registerUser(
        RegisterUserRequest.newBuilder().setHandle("alice").setPassword(TestHomeserver.PASSWORD).build()));
    // Nothing is queued for alice's clients any more; bob's messages still reach bob's other client.
    byte[] afterwards = TestMessages.application(groupId, 1, 50);
    b1.send(afterwards);
    assertEquals(List.of(ByteString.copyFrom(afterwards)), messagesOf(b2.drain()));
  }

  @Test
  void aRejectedRequesterIsToldAndCannotClaimAgain() {
    TestMember a1 = TestMember.register(server, "alice");
    TestMember b1 = TestMember.register(server, "bob");
    b1.publishKeyPackages(server, 3);
    String bob = b1.client.userId();
    a1.directory().requestConnection(RequestConnectionRequest.newBuilder().setTargetUserId(bob).build());
    b1.directory().rejectConnection(RejectConnectionRequest.newBuilder().setRequesterUserId(a1.client.userId())
        .build());
    assertEquals(List.of(ServerEvent.EventCase.CONNECTION_REJECTED), eventsOf(a1.drain()));
    assertFails(Code.PERMISSION_DENIED, ErrorReason.NOT_CONNECTED, () -> a1.keyPackages().claimKeyPackages(
        ClaimKeyPackagesRequest.newBuilder().setUserId(bob).setCipherSuite(a1.suite.code()).build()));
  }
}
