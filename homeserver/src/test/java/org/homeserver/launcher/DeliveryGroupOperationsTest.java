package org.homeserver.launcher;

import static org.homeserver.launcher.Failures.assertFails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status.Code;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.api.delivery.v1.CommitBundle;
import org.homeserver.api.delivery.v1.CreateGroupRequest;
import org.homeserver.api.delivery.v1.CreateGroupResponse;
import org.homeserver.api.delivery.v1.DeleteGroupRequest;
import org.homeserver.api.delivery.v1.DeliverEventRequest;
import org.homeserver.api.delivery.v1.DeliveryInternalServiceGrpc.DeliveryInternalServiceBlockingStub;
import org.homeserver.api.delivery.v1.DeliveryInternalServiceGrpc;
import org.homeserver.api.delivery.v1.GetGroupInfoRequest;
import org.homeserver.api.delivery.v1.ListGroupPeersRequest;
import org.homeserver.api.delivery.v1.ListGroupPeersResponse;
import org.homeserver.api.delivery.v1.ProfileChanged;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.QueueGap;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.delivery.v1.SetGroupNotificationPolicyRequest;
import org.homeserver.api.notifier.v1.NotificationKind;
import org.homeserver.api.notifier.v1.NotificationPolicy;
import org.homeserver.api.notifier.v1.Urgency;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.TestMessages;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.TestBytes;
import org.homeserver.mls.message.Extension;
import org.homeserver.platform.grpc.SharedTokenInterceptor;
import org.homeserver.platform.testing.TestPostgres;
import org.homeserver.platform.testing.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The group operations besides Send, and the internal API the other services call: creation and its
 * refusals, the GroupInfo for external joins, deletion with its event, per-group notification
 * policies, server events for users and clients, and group peers.
 */
class DeliveryGroupOperationsTest {
  private static final String INTERNAL_TOKEN = "internal-token-0123456789abcdefghijklmnop";
  private static TestHomeserver server;
  private static ManagedChannel internalChannel;
  private static DeliveryInternalServiceBlockingStub internal;

  private TestMember alice;
  private TestMember bob;
  private byte[] groupId;

  @BeforeAll
  static void start() throws Exception {
    var config = TestHomeserver.configFor(TestPostgres.freshDatabase().jdbcUrl(), Files.createTempDirectory("hs-test"),
        Map.of("redis.url", TestRedis.URL, "redis.key-prefix", "hs-test-" + UUID.randomUUID() + ":",
            "internal.token", INTERNAL_TOKEN));
    // Every service, as separate processes would run them: the internal API is on the network.
    server = TestHomeserver.start(config, Homeserver.SERVICES);
    internalChannel = NettyChannelBuilder.forAddress("127.0.0.1", config.internal().port()).usePlaintext()
        .intercept(SharedTokenInterceptor.sending(INTERNAL_TOKEN)).build();
    internal = DeliveryInternalServiceGrpc.newBlockingStub(internalChannel);
    for (String handle : List.of("alice", "bob", "carol")) {
      server.registerUser(handle);
    }
    server.connectAll("alice", "bob");
  }

  @AfterAll
  static void stop() {
    internalChannel.shutdownNow();
    server.close();
  }

  /** A group of a fresh alice client and a fresh bob client, at epoch 1, queues drained. */
  @BeforeEach
  void group() {
    alice = TestMember.register(server, "alice");
    bob = TestMember.register(server, "bob");
    groupId = alice.createGroupWith(bob, server.clock.instant());
    bob.drain();
  }

  private static CreateGroupResponse create(TestMember creator, byte[] groupId) {
    return creator.delivery().createGroup(TestMember.createGroupRequest(creator.newGroup(groupId)).build());
  }

  @Test
  void creationChecksTheIdAndSuiteAndIsIdempotent() {
    assertFails(Code.ALREADY_EXISTS, ErrorReason.GROUP_EXISTS, () -> create(bob, groupId));
    for (byte[] badId : List.of(new byte[0], new byte[257])) {
      assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> create(bob, badId));
    }
    // Bob's GroupInfo and tree are of his suite; the request names another, or carries bytes that are no GroupInfo.
    TestGroup bobs = bob.newGroup(TestMessages.random(16));
    CreateGroupRequest.Builder request = TestMember.createGroupRequest(bobs);
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> bob.delivery().createGroup(
        request.setCipherSuite(CipherSuite.MLS_128_DHKEMP256_AES128GCM_SHA256_P256.code()).build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> bob.delivery().createGroup(
        request.setCipherSuite(0x7777).build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.MLS_MESSAGE_MALFORMED, () -> bob.delivery().createGroup(
        request.setCipherSuite(bob.suite.code()).setGroupInfo(ByteString.copyFrom(new byte[] {0, 1, 0, 4})).build()));

    CreateGroupRequest once = request.setCipherSuite(bob.suite.code())
        .setGroupInfo(ByteString.copyFrom(bobs.groupInfo())).setIdempotencyKey(UUID.randomUUID().toString()).build();
    CreateGroupResponse first = bob.delivery().createGroup(once);
    assertEquals(first, bob.delivery().createGroup(once));
    assertEquals(List.of(bob.id()), first.getGroup().getMembersList().stream().map(m -> m.getClientId()).toList());
    assertEquals(TestHomeserver.DOMAIN, first.getGroup().getHubDomain());

    TestMember carol = TestMember.register(server.channel, "carol", SignatureScheme.ECDSA_SECP256R1_SHA256);
    assertEquals(CipherSuite.MLS_128_DHKEMP256_AES128GCM_SHA256_P256.code(),
        create(carol, TestMessages.random(16)).getGroup().getCipherSuite());
  }

  @Test
  void theGroupInfoOfTheCurrentEpochServesExternalJoins() {
    GetGroupInfoRequest request = GetGroupInfoRequest.newBuilder().setGroupId(ByteString.copyFrom(groupId)).build();
    assertFails(Code.NOT_FOUND, ErrorReason.GROUP_INFO_UNAVAILABLE, () -> alice.delivery().getGroupInfo(request));
    TestGroup group = TestMember.group(groupId);
    TestGroup.Pending toEpoch2 = group.commit(alice.member());
    byte[] info = toEpoch2.groupInfo();
    alice.delivery().send(SendRequest.newBuilder().setIdempotencyKey(UUID.randomUUID().toString())
        .setCommitBundle(CommitBundle.newBuilder()
            .setCommit(ByteString.copyFrom(toEpoch2.commit()))
            .setGroupInfo(ByteString.copyFrom(info))).build());
    group.apply(toEpoch2);
    TestMember aliceElsewhere = TestMember.register(server, "alice");
    var served = aliceElsewhere.delivery().getGroupInfo(request);
    assertEquals(ByteString.copyFrom(info), served.getGroupInfo());
    assertEquals(2, served.getEpoch());
    TestMember carol = TestMember.register(server, "carol");
    assertFails(Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED, () -> carol.delivery().getGroupInfo(request));

    // A GroupInfo for another epoch (epoch 2's, with the commit to epoch 3) is refused with the whole bundle.
    TestGroup.Pending toEpoch3 = group.commit(alice.member());
    var stale = assertFails(Code.INVALID_ARGUMENT, ErrorReason.GROUP_RULE_BROKEN, () -> alice.delivery().send(
        SendRequest.newBuilder().setIdempotencyKey(UUID.randomUUID().toString()).setCommitBundle(CommitBundle
            .newBuilder().setCommit(ByteString.copyFrom(toEpoch3.commit()))
            .setGroupInfo(ByteString.copyFrom(info))).build()));
    assertEquals(Map.of("rule", "GROUP_RULE_FRAMING", "field", "commit_bundle.group_info"),
        Map.of("rule", Failures.metadata(stale).get("rule"), "field", Failures.metadata(stale).get("field")));
    // The new epoch's GroupInfo with a bit of its signature (its last bytes) flipped does not verify.
    byte[] groupInfo = toEpoch3.groupInfo();
    var forged = assertFails(Code.INVALID_ARGUMENT, ErrorReason.GROUP_RULE_BROKEN, () -> alice.delivery().send(
        SendRequest.newBuilder().setIdempotencyKey(UUID.randomUUID().toString()).setCommitBundle(CommitBundle
            .newBuilder().setCommit(ByteString.copyFrom(toEpoch3.commit()))
            .setGroupInfo(ByteString.copyFrom(TestBytes.flipBit(groupInfo, groupInfo.length * 8 - 1)))).build()));
    assertEquals("GROUP_RULE_GROUP_INFO_SIGNATURE", Failures.metadata(forged).get("rule"));
    // A commit without one leaves the new epoch without a GroupInfo.
    alice.sendCommit(group, toEpoch3);
    assertFails(Code.NOT_FOUND, ErrorReason.GROUP_INFO_UNAVAILABLE, () -> alice.delivery().getGroupInfo(request));
  }

  /**
   * Found by interop/ (ts-mls 1.6.4 writes external_pub as the bare key, without the length RFC 9420
   * puts in front of it): the server used to refuse such GroupInfos as malformed, so no ts-mls group
   * could be created with one or joined by external commit. It relays extensions it does not read.
   */
  @Test
  void aGroupInfoIsKeptAsSentWhateverItsExtensionsHold() {
    byte[] bareKey = TestMessages.random(32);
    bareKey[0] = 0x7c;
    List<Extension> extensions = List.of(new Extension(Extension.EXTERNAL_PUB, bareKey));
    alice.delivery().createGroup(TestMember.createGroupRequest(TestGroup.create(alice.suite, TestMessages.random(16),
        alice.member(), server.clock.instant(), extensions)).build());

    TestGroup group = TestMember.group(groupId);
    group.setGroupInfoExtensions(extensions);
    TestGroup.Pending commit = group.commit(alice.member());
    byte[] info = commit.groupInfo();
    alice.delivery().send(SendRequest.newBuilder().setIdempotencyKey(UUID.randomUUID().toString())
        .setCommitBundle(CommitBundle.newBuilder()
            .setCommit(ByteString.copyFrom(commit.commit()))
            .setGroupInfo(ByteString.copyFrom(info))).build());
    group.apply(commit);
    assertEquals(ByteString.copyFrom(info), bob.delivery().getGroupInfo(
        GetGroupInfoRequest.newBuilder().setGroupId(ByteString.copyFrom(groupId)).build()).getGroupInfo());
  }

  @Test
  void aMemberDeletesTheGroupAndTheOthersAreTold() {
    TestMember carol = TestMember.register(server, "carol");
    DeleteGroupRequest delete = DeleteGroupRequest.newBuilder().setGroupId(ByteString.copyFrom(groupId)).build();
    assertFails(Code.PERMISSION_DENIED, ErrorReason.NOT_A_MEMBER, () -> carol.delivery().deleteGroup(delete));
    bob.delivery().deleteGroup(delete);
    List<QueueEntry> told = alice.drain();
    assertEquals(1, told.size());
    assertEquals(ByteString.copyFrom(groupId), told.getFirst().getEvent().getGroupDeleted().getGroupId());
    assertEquals(bob.id(), told.getFirst().getEvent().getGroupDeleted().getDeletedByClientId());
    assertEquals(List.of(), bob.fetchAll());
    assertFails(Code.NOT_FOUND, ErrorReason.GROUP_NOT_FOUND, () -> alice.send(TestMessages.application(groupId, 1, 10)));
  }

  @Test
  void aMembersGroupPolicyTravelsWithEachMessageQueuedForIt() {
    NotificationPolicy silent = NotificationPolicy.newBuilder().setKind(NotificationKind.NOTIFICATION_KIND_SILENT)
        .setCollapseTopic("chat-1").build();
    var stored = bob.delivery().setGroupNotificationPolicy(SetGroupNotificationPolicyRequest.newBuilder()
        .setGroupId(ByteString.copyFrom(groupId)).setPolicy(silent).build()).getPolicy();
    assertEquals(86_400, stored.getTtlSeconds());
    assertEquals(Urgency.URGENCY_NORMAL, stored.getUrgency());
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> bob.delivery().setGroupNotificationPolicy(
        SetGroupNotificationPolicyRequest.newBuilder().setGroupId(ByteString.copyFrom(groupId))
            .setPolicy(NotificationPolicy.newBuilder().setTtlSeconds(5)).build()));
    TestMember carol = TestMember.register(server, "carol");
    assertFails(Code.PERMISSION_DENIED, ErrorReason.NOT_A_MEMBER, () -> carol.delivery().setGroupNotificationPolicy(
        SetGroupNotificationPolicyRequest.newBuilder().setGroupId(ByteString.copyFrom(groupId)).setPolicy(silent)
            .build()));

    alice.send(TestMessages.application(groupId, 1, 10));
    bob.send(TestMessages.application(groupId, 1, 10));
    assertEquals(stored, bob.drain().getFirst().getMessage().getNotificationPolicy());
    assertFalse(alice.drain().getFirst().getMessage().hasNotificationPolicy());

    bob.delivery().setGroupNotificationPolicy(SetGroupNotificationPolicyRequest.newBuilder()
        .setGroupId(ByteString.copyFrom(groupId)).build());
    alice.send(TestMessages.application(groupId, 1, 10));
    assertFalse(bob.drain().getFirst().getMessage().hasNotificationPolicy());
  }

  @Test
  void serverEventsReachTheNamedUsersAndClientsOnce() {
    TestMember bobElsewhere = TestMember.register(server, "bob");
    ServerEvent event = ServerEvent.newBuilder().setProfileChanged(ProfileChanged.newBuilder()
        .setUserId(alice.client.userId()).setDisplayName("Alice")).build();
    DeliverEventRequest request = DeliverEventRequest.newBuilder().addUserIds(bob.client.userId())
        .addClientIds(alice.id()).addExcludeClientIds(bobElsewhere.id()).setEvent(event)
        .setIdempotencyKey(UUID.randomUUID().toString()).build();
    internal.deliverEvent(request);
    internal.deliverEvent(request);
    assertEquals(List.of(event), bob.drain().stream().map(QueueEntry::getEvent).toList());
    assertEquals(List.of(event), alice.drain().stream().map(QueueEntry::getEvent).toList());
    assertEquals(List.of(), bobElsewhere.fetchAll());

    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> internal.deliverEvent(request.toBuilder()
        .setIdempotencyKey(UUID.randomUUID().toString())
        .setEvent(ServerEvent.newBuilder().setQueueGap(QueueGap.getDefaultInstance())).build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> internal.deliverEvent(request.toBuilder()
        .clearIdempotencyKey().build()));
  }

  @Test
  void groupPeersAreTheUsersAndClientsSharingAGroup() {
    TestMember carol = TestMember.register(server, "carol");
    ListGroupPeersResponse peers = internal.listGroupPeers(ListGroupPeersRequest.newBuilder()
        .setUserId(alice.client.userId()).build());
    assertTrue(peers.getUserIdsList().contains(bob.client.userId()));
    assertTrue(peers.getClientIdsList().contains(bob.id()));
    assertFalse(peers.getUserIdsList().contains(alice.client.userId()));
    assertFalse(peers.getUserIdsList().contains(carol.client.userId()));
    assertEquals(peers.getClientIdsList().stream().sorted().toList(), peers.getClientIdsList());
  }
}
