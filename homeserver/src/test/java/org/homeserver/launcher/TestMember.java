package org.homeserver.launcher;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.api.delivery.v1.AckRequest;
import org.homeserver.api.delivery.v1.CommitBundle;
import org.homeserver.api.delivery.v1.CreateGroupRequest;
import org.homeserver.api.delivery.v1.DeliveryServiceGrpc;
import org.homeserver.api.delivery.v1.FetchRequest;
import org.homeserver.api.delivery.v1.FetchResponse;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.api.delivery.v1.SendResponse;
import org.homeserver.api.directory.v1.DirectoryServiceGrpc;
import org.homeserver.api.keypackage.v1.KeyPackageServiceGrpc;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesRequest;
import org.homeserver.api.notifier.v1.NotifierServiceGrpc;
import org.homeserver.api.notifier.v1.RegisterEndpointRequest;
import org.homeserver.api.notifier.v1.WebPushSubscription;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.TestMessages;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.notifier.testing.WebPushReceiver;
import org.homeserver.platform.grpc.BearerTokens;

/**
 * One registered client acting as MLS client software would against the delivery service: its
 * access token, KeyPackages with the credential the AS issued, groups created and committed to with
 * real MLS messages (each group's {@link TestGroup}, found by its id), Send with fresh idempotency
 * keys, and reading its queue.
 */
final class TestMember {
  private static final Map<String, TestGroup> GROUPS = new ConcurrentHashMap<>();

  final TestHomeserver.TestClient client;
  final String token;
  final CipherSuite suite;
  private final Channel channel;

  TestMember(TestHomeserver.TestClient client, String token, Channel channel) {
    this.client = client;
    this.token = token;
    this.channel = channel;
    this.suite = client.key().scheme() == SignatureScheme.ED25519
        ? CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519
        : CipherSuite.MLS_128_DHKEMP256_AES128GCM_SHA256_P256;
  }

  /** A new client of {@code handle} (which must be registered) with an Ed25519 key, signed in. */
  static TestMember register(TestHomeserver server, String handle) {
    return register(server.channel, handle);
  }

  /** As {@link #register(TestHomeserver, String)}, on the homeserver behind {@code channel}. */
  static TestMember register(Channel channel, String handle) {
    return register(channel, handle, SignatureScheme.ED25519);
  }

  /** A new Ed25519 client of {@code handle} on the homeserver of {@code domain} behind {@code channel}, signed in. */
  static TestMember register(Channel channel, String domain, String handle) {
    TestHomeserver.TestClient client = TestHomeserver.registerClient(channel, domain, handle, SignatureScheme.ED25519);
    return new TestMember(client, TestHomeserver.session(channel, client), channel);
  }

  /** A new client of {@code handle} with a key of {@code scheme}, signed in. */
  static TestMember register(Channel channel, String handle, SignatureScheme scheme) {
    TestHomeserver.TestClient client = TestHomeserver.registerClient(channel, handle, scheme);
    return new TestMember(client, TestHomeserver.session(channel, client), channel);
  }

  /** The same client talking to another process (sharing the database). */
  TestMember via(Channel other) {
    return new TestMember(client, token, other);
  }

  Channel channel() {
    return channel;
  }

  String id() {
    return client.clientId();
  }

  DeliveryServiceGrpc.DeliveryServiceBlockingStub delivery() {
    return DeliveryServiceGrpc.newBlockingStub(channel).withCallCredentials(BearerTokens.credentials(token))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  DirectoryServiceGrpc.DirectoryServiceBlockingStub directory() {
    return DirectoryServiceGrpc.newBlockingStub(channel).withCallCredentials(BearerTokens.credentials(token))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  KeyPackageServiceGrpc.KeyPackageServiceBlockingStub keyPackages() {
    return KeyPackageServiceGrpc.newBlockingStub(channel).withCallCredentials(BearerTokens.credentials(token))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** Publishes {@code count} KeyPackages of this client valid on {@code server}'s clock, replacing any earlier ones. */
  void publishKeyPackages(TestHomeserver server, int count) {
    PublishKeyPackagesRequest.Builder batch = PublishKeyPackagesRequest.newBuilder();
    for (int i = 0; i < count; i++) {
      batch.addKeyPackages(ByteString.copyFrom(TestKeyPackages.encodeAsMessage(keyPackage(server))));
    }
    keyPackages().publishKeyPackages(batch.build());
  }

  NotifierServiceGrpc.NotifierServiceBlockingStub notifier() {
    return NotifierServiceGrpc.newBlockingStub(channel).withCallCredentials(BearerTokens.credentials(token))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** Registers a Web Push endpoint with {@code receiver}'s subscription, as a browser hands it over. */
  void registerWebPush(WebPushReceiver receiver) {
    notifier().registerEndpoint(RegisterEndpointRequest.newBuilder().setWebPush(webPush(receiver)).build());
  }

  static WebPushSubscription webPush(WebPushReceiver receiver) {
    var subscription = receiver.subscription();
    return WebPushSubscription.newBuilder().setEndpointUrl(subscription.url().toString())
        .setP256Dh(ByteString.copyFrom(subscription.p256dh())).setAuth(ByteString.copyFrom(subscription.auth()))
        .build();
  }

  DeliveryServiceGrpc.DeliveryServiceStub deliveryAsync() {
    return DeliveryServiceGrpc.newStub(channel).withCallCredentials(BearerTokens.credentials(token));
  }

  /** A KeyPackage of this client, valid now on {@code server}'s clock, with the credential the AS issued. */
  KeyPackage keyPackage(TestHomeserver server) {
    return keyPackage(server.clock.instant());
  }

  /** A KeyPackage valid at {@code now}. */
  KeyPackage keyPackage(Instant now) {
    return TestKeyPackages.create(suite, credential(), signingKey(), now);
  }

  Credential credential() {
    return new Credential.X509(client.chain().stream().map(ByteString::toByteArray).toList());
  }

  byte[] signatureKey() {
    return client.key().signatureKey().publicKey();
  }

  TestKeyPackages.SigningKey signingKey() {
    return new TestKeyPackages.SigningKey(suite.signatureScheme(), client.key().privateKey(), signatureKey());
  }

  /** This client as an MLS group sees it: the credential the AS issued and its registered signature key. */
  TestGroup.Member member() {
    return new TestGroup.Member(signingKey(), credential());
  }

  /** The test group of a group created through {@link #createGroup}, moved on by every commit sent through here. */
  static TestGroup group(byte[] groupId) {
    TestGroup group = GROUPS.get(HexFormat.of().formatHex(groupId));
    if (group == null) {
      throw new IllegalArgumentException("no group " + HexFormat.of().formatHex(groupId) + " was created here");
    }
    return group;
  }

  /** Epoch 0 of a group with this client alone at leaf 0, not sent: what CreateGroup would carry. */
  TestGroup newGroup(byte[] groupId) {
    return TestGroup.create(suite, groupId, member(), Instant.now());
  }

  /** The CreateGroup request of {@code group}: its id, suite, GroupInfo and ratchet tree of epoch 0. */
  static CreateGroupRequest.Builder createGroupRequest(TestGroup group) {
    return CreateGroupRequest.newBuilder().setGroupId(ByteString.copyFrom(group.groupId()))
        .setCipherSuite(group.suite().code()).setGroupInfo(ByteString.copyFrom(group.groupInfo()))
        .setRatchetTree(ByteString.copyFrom(group.ratchetTree()));
  }

  /** Creates a group with this client at leaf 0; its test group is {@link #group}{@code (groupId)}. */
  TestGroup createGroup(byte[] groupId) {
    TestGroup group = newGroup(groupId);
    delivery().createGroup(createGroupRequest(group).build());
    GROUPS.put(HexFormat.of().formatHex(groupId), group);
    return group;
  }

  /**
   * Creates a group with this client at leaf 0 and adds {@code other} at leaf 1 with a KeyPackage
   * valid at {@code now}; the group is then at epoch 1 and {@code other}'s Welcome is queued.
   */
  byte[] createGroupWith(TestMember other, Instant now) {
    return createGroupWith(List.of(other), now);
  }

  /**
   * Creates a group with this client at leaf 0 and adds {@code others}, in order at leaves 1.., by
   * one commit with KeyPackages valid at {@code now}; the group is then at epoch 1.
   */
  byte[] createGroupWith(List<TestMember> others, Instant now) {
    byte[] groupId = TestMessages.random(16);
    createGroup(groupId);
    commit(groupId, others.stream().map(m -> new Proposal.Add(m.keyPackage(now))).toArray(Proposal[]::new));
    return groupId;
  }

  /**
   * Commits {@code byValue} in the group (with an UpdatePath where RFC 9420 requires one) with its
   * Welcome and without a GroupInfo; the group's test group moves on once the commit is accepted.
   */
  SendResponse commit(byte[] groupId, Proposal... byValue) {
    TestGroup group = group(groupId);
    return sendCommit(group, group.commit(member(), byValue));
  }

  /** Sends {@code pending} with its Welcome and without a GroupInfo; once it is accepted, {@code group} moves on. */
  SendResponse sendCommit(TestGroup group, TestGroup.Pending pending) {
    SendResponse response = sendBundle(pending.commit(), pending.welcome());
    group.apply(pending);
    return response;
  }

  SendResponse send(byte[] mlsMessage) {
    return delivery().send(SendRequest.newBuilder().setMlsMessage(ByteString.copyFrom(mlsMessage))
        .setIdempotencyKey(UUID.randomUUID().toString()).build());
  }

  SendResponse sendBundle(byte[] commit, byte[] welcome) {
    CommitBundle.Builder bundle = CommitBundle.newBuilder().setCommit(ByteString.copyFrom(commit));
    if (welcome != null) {
      bundle.setWelcome(ByteString.copyFrom(welcome));
    }
    return delivery().send(SendRequest.newBuilder().setCommitBundle(bundle)
        .setIdempotencyKey(UUID.randomUUID().toString()).build());
  }

  /** Every entry not acknowledged yet, reading page by page. */
  List<QueueEntry> fetchAll() {
    List<QueueEntry> entries = new ArrayList<>();
    ByteString token = ByteString.EMPTY;
    while (true) {
      FetchResponse page = delivery().fetch(FetchRequest.newBuilder().setPageToken(token).setLimit(1000).build());
      entries.addAll(page.getEntriesList());
      if (!page.getHasMore()) {
        return entries;
      }
      token = page.getNextPageToken();
    }
  }

  /** Reads and acknowledges everything queued; returns what was read. */
  List<QueueEntry> drain() {
    List<QueueEntry> entries = fetchAll();
    ack(entries);
    return entries;
  }

  /** Acknowledges {@code entries}: the highest position of each group's log and of the own queue among them. */
  void ack(List<QueueEntry> entries) {
    if (!entries.isEmpty()) {
      delivery().ack(ackOf(entries));
    }
  }

  /** The Ack of {@code entries}. */
  static AckRequest ackOf(List<QueueEntry> entries) {
    long own = 0;
    Map<ByteString, Long> groups = new java.util.LinkedHashMap<>();
    for (QueueEntry entry : entries) {
      if (entry.hasMessage()) {
        groups.merge(entry.getMessage().getGroupId(), entry.getSequence(), Math::max);
      } else {
        own = Math.max(own, entry.getSequence());
      }
    }
    AckRequest.Builder ack = AckRequest.newBuilder().setUpToSequence(own);
    groups.forEach((group, upTo) -> ack.addGroups(org.homeserver.api.delivery.v1.GroupPosition.newBuilder()
        .setGroupId(group).setUpToSequence(upTo)));
    return ack.build();
  }
}
