package org.homeserver.launcher;

import static org.homeserver.launcher.Failures.assertFails;
import static org.homeserver.launcher.FederationFixture.A;
import static org.homeserver.launcher.FederationFixture.B;
import static org.homeserver.launcher.FederationFixture.C;
import static org.homeserver.launcher.FederationFixture.D;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.DeleteGroupRequest;
import org.homeserver.api.delivery.v1.GetGroupRequest;
import org.homeserver.api.delivery.v1.Group;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.QueueGapReason;
import org.homeserver.api.delivery.v1.SendResponse;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.directory.v1.AcceptConnectionRequest;
import org.homeserver.api.directory.v1.DeleteAccountRequest;
import org.homeserver.api.directory.v1.DiscoverUserRequest;
import org.homeserver.api.directory.v1.RequestConnectionRequest;
import org.homeserver.api.directory.v1.SetDisplayNameRequest;
import org.homeserver.api.federation.v1.ChangeFederationPolicyRequest;
import org.homeserver.api.federation.v1.DeliverBatchRequest;
import org.homeserver.api.federation.v1.DeliverGroupMessageRequest;
import org.homeserver.api.federation.v1.DeliverWelcomeRequest;
import org.homeserver.api.federation.v1.Delivery;
import org.homeserver.api.federation.v1.DeliveryResult;
import org.homeserver.api.federation.v1.FederationServiceGrpc;
import org.homeserver.api.federation.v1.FetchGroupMessagesRequest;
import org.homeserver.api.federation.v1.GroupState;
import org.homeserver.api.federation.v1.ListPeersRequest;
import org.homeserver.api.federation.v1.PolicyChange;
import org.homeserver.api.federation.v1.RelayGroupOperationRequest;
import org.homeserver.api.federation.v1.RelayedSend;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesRequest;
import org.homeserver.federation.trust.RequestSignature;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.TestMessages;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.platform.grpc.ErrorStatus;
import org.homeserver.platform.testing.Eventually;
import org.junit.jupiter.api.Test;

/**
 * Groups whose members live on three homeservers (federation.proto, GROUPS ACROSS DOMAINS): a group
 * hosted on a, its members' clients on b and c calling their own homeservers. The hub's order
 * reaches every member exactly once, through concurrent commits, an outage, a cut link and a policy
 * change, and what a peer forges changes nothing. Run as FederationTest's nested class, on its
 * homeservers.
 */
abstract class FederatedGroups {
  private static FederatedHomeservers servers() {
    return FederationFixture.servers();
  }

  private static TestMember user(String domain, String name) {
    return FederationFixture.user(domain, name);
  }

  /**
   * A group hosted on a with ann, bob of b and cat of c, and a KeyPackage of cat's second client
   * that ann claimed, for a commit to come.
   */
  private record ThreeDomains(TestMember ann, TestMember bob, TestMember cat, TestMember cat2, byte[] groupId,
                              TestGroup group, KeyPackage cat2Package) {
    static ThreeDomains start() throws Exception {
      TestMember ann = user(A, "ann");
      TestMember bob = user(B, "bob");
      TestMember cat = user(C, "cat");
      TestMember cat2 = TestMember.register(servers().channel(C), C, FederationTest.handleOf(cat));
      byte[] groupId = groupOf(ann, List.of(bob, cat));
      return new ThreeDomains(ann, bob, cat, cat2, groupId, TestMember.group(groupId), claim(ann, cat2));
    }
  }

  /** {@code asker} asks {@code other} for a connection, which accepts. */
  private static void connect(TestMember asker, TestMember other) {
    asker.directory().requestConnection(RequestConnectionRequest.newBuilder()
        .setTargetUserId(other.client.userId()).build());
    until(other.id() + " sees the request", () -> eventsOf(other.drain()).contains(
        ServerEvent.EventCase.CONNECTION_REQUESTED));
    other.directory().acceptConnection(AcceptConnectionRequest.newBuilder()
        .setRequesterUserId(asker.client.userId()).build());
    until(asker.id() + " sees the acceptance", () -> eventsOf(asker.drain()).contains(
        ServerEvent.EventCase.CONNECTION_ACCEPTED));
  }

  /** {@code member} publishes one KeyPackage; {@code claimer} claims it through its own homeserver. */
  private static KeyPackage claim(TestMember claimer, TestMember member) throws Exception {
    member.keyPackages().publishKeyPackages(PublishKeyPackagesRequest.newBuilder().addKeyPackages(
        ByteString.copyFrom(TestKeyPackages.encodeAsMessage(member.keyPackage(Instant.now())))).build());
    var claimed = claimer.keyPackages().claimKeyPackages(ClaimKeyPackagesRequest.newBuilder()
        .setUserId(member.client.userId()).setCipherSuite(claimer.suite.code())
        .addClientIds(member.id()).setIdempotencyKey(UUID.randomUUID().toString()).build());
    return ((MlsMessage.KeyPackageBody) MlsMessage.decode(claimed.getKeyPackages(0).getKeyPackage().toByteArray())
        .body()).keyPackage();
  }

  /** A group hosted on a by {@code owner}, with {@code others} (of any domain) added by one commit. */
  private static byte[] groupOf(TestMember owner, List<TestMember> others) throws Exception {
    List<Proposal> adds = new ArrayList<>();
    for (TestMember other : others) {
      if (!other.client.userId().equals(owner.client.userId())) {
        connect(owner, other);
      }
      adds.add(new Proposal.Add(claim(owner, other)));
    }
    byte[] groupId = TestMessages.random(16);
    owner.createGroup(groupId);
    owner.commit(groupId, adds.toArray(Proposal[]::new));
    for (TestMember other : others) {
      until(other.id() + " gets its Welcome", () -> other.fetchAll().stream().anyMatch(QueueEntry::hasWelcome));
      other.drain();
    }
    return groupId;
  }

  private static List<ServerEvent.EventCase> eventsOf(List<QueueEntry> entries) {
    return entries.stream().filter(QueueEntry::hasEvent).map(e -> e.getEvent().getEventCase()).toList();
  }

  private static void until(String what, java.util.function.BooleanSupplier condition) {
    Eventually.until(what, Duration.ofSeconds(30), condition);
  }

  /** What a member read of the group so far, by the hub's number; a number read twice fails. */
  private static final class Reader {
    final TestMember member;
    final Map<Long, ByteString> read = new TreeMap<>();
    final List<Long> order = new ArrayList<>();

    Reader(TestMember member) {
      this.member = member;
    }

    void read(byte[] groupId) {
      for (QueueEntry entry : member.drain()) {
        if (entry.hasMessage() && entry.getMessage().getGroupId().equals(ByteString.copyFrom(groupId))) {
          assertFalse(read.containsKey(entry.getSequence()), member.id() + " read number " + entry.getSequence()
              + " twice");
          read.put(entry.getSequence(), entry.getMessage().getMlsMessage());
          order.add(entry.getSequence());
        }
      }
    }
  }

  private static Group group(TestMember member, byte[] groupId) {
    return member.delivery().getGroup(GetGroupRequest.newBuilder().setGroupId(ByteString.copyFrom(groupId)).build())
        .getGroup();
  }

  /**
   * Clients on b and c commit at the same epoch, again and again, each through its own homeserver:
   * one wins each time, the other gets WRONG_EPOCH, and every member on every homeserver reads every
   * accepted commit but its own exactly once, under the hub's number, in the hub's order.
   */
  @Test
  void concurrentCommitsFromTwoFollowersReachEveryMemberOnceInTheHubsOrder() throws Exception {
    TestMember ann = user(A, "ann");
    TestMember bob = user(B, "bob");
    TestMember cat = user(C, "cat");
    byte[] groupId = groupOf(ann, List.of(bob, cat));
    TestGroup group = TestMember.group(groupId);
    assertEquals(A, group(bob, groupId).getHubDomain(), "b's copy names the hub");
    assertEquals(3, group(cat, groupId).getMembersCount());

    Map<Long, TestMember> senders = new HashMap<>();
    int rounds = 12;
    try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
      for (int round = 0; round < rounds; round++) {
        TestGroup.Pending byBob = group.commit(bob.member());
        TestGroup.Pending byCat = group.commit(cat.member());
        CyclicBarrier together = new CyclicBarrier(2);
        CompletableFuture<DeliveryCommitRaceTest.Attempt> b = CompletableFuture.supplyAsync(
            () -> DeliveryCommitRaceTest.attempt(bob, byBob, together), pool);
        CompletableFuture<DeliveryCommitRaceTest.Attempt> c = CompletableFuture.supplyAsync(
            () -> DeliveryCommitRaceTest.attempt(cat, byCat, together), pool);
        List<DeliveryCommitRaceTest.Attempt> won = new ArrayList<>();
        for (var pair : List.of(Map.entry(bob, b.get()), Map.entry(cat, c.get()))) {
          DeliveryCommitRaceTest.Attempt attempt = pair.getValue();
          if (attempt.accepted() != null) {
            won.add(attempt);
            senders.put(attempt.accepted().getSequence(), pair.getKey());
          } else {
            var info = ErrorStatus.errorInfo(attempt.refused()).orElseThrow(() -> attempt.refused());
            assertEquals(ErrorReason.WRONG_EPOCH.name(), info.getReason(), "the loser's refusal");
          }
        }
        assertEquals(1, won.size(), "one commit of the round wins");
        group.apply(won.getFirst().commit());
      }
    }
    long last = group.epoch();
    until("the followers' copies reach epoch " + last, () -> group(bob, groupId).getEpoch() == last
        && group(cat, groupId).getEpoch() == last);

    Map<String, Reader> readers = new HashMap<>();
    for (TestMember member : List.of(ann, bob, cat)) {
      Reader reader = new Reader(member);
      readers.put(member.id(), reader);
      until(member.id() + " reads every commit not its own", () -> {
        reader.read(groupId);
        return senders.entrySet().stream().filter(e -> e.getValue() != member)
            .allMatch(e -> reader.read.containsKey(e.getKey()));
      });
      for (var sent : senders.entrySet()) {
        assertEquals(sent.getValue() != member, reader.read.containsKey(sent.getKey()),
            member.id() + " reads number " + sent.getKey() + " unless it sent it");
      }
      assertEquals(reader.order.stream().sorted().toList(), reader.order, member.id() + " reads in the hub's order");
    }
    // The same number is the same message everywhere.
    Map<Long, ByteString> all = new TreeMap<>();
    for (Reader reader : readers.values()) {
      reader.read.forEach((number, bytes) -> {
        ByteString earlier = all.putIfAbsent(number, bytes);
        assertTrue(earlier == null || earlier.equals(bytes), "number " + number + " is one message everywhere");
      });
    }
    assertEquals(rounds, all.size(), "every accepted commit was read by someone");
    assertEquals(group(ann, groupId).getMembersList(), group(bob, groupId).getMembersList());
    assertEquals(group(ann, groupId).getMembersList(), group(cat, groupId).getMembersList());
  }

  /**
   * b is killed while the hub accepts messages and comes back; separately the link a<->c is cut
   * while the hub accepts more than a lane holds, and a commit adds a second client of c's: each
   * follower ends with the hub's sequence without a gap or a repeat, c fetching what a skipped.
   */
  @Test
  void followersCatchUpAfterAnOutageAndACutLinkWithoutGapOrRepeat() throws Exception {
    ThreeDomains three = ThreeDomains.start();
    Reader atB = new Reader(three.bob());
    Reader atC = new Reader(three.cat());
    List<Long> accepted = new ArrayList<>();

    servers().kill(B);
    try {
      for (int i = 0; i < 4; i++) {
        accepted.add(three.ann().sendCommit(three.group(), three.group().commit(three.ann().member())).getSequence());
      }
    } finally {
      servers().restart(B);
    }
    TestMember bobAgain = three.bob().via(servers().channel(B));
    Reader atBAgain = new Reader(bobAgain);
    // b calls a: a's backoff towards b is reset and its lane drains.
    bobAgain.directory().discoverUser(DiscoverUserRequest.newBuilder()
        .setQuery(FederationTest.handleOf(three.ann()) + "@" + A).build());
    until("b has what a accepted while it was down", () -> {
      atBAgain.read(three.groupId());
      return atBAgain.read.keySet().containsAll(accepted);
    });

    servers().cut(A, C);
    try {
      for (int i = 0; i < 8; i++) {
        accepted.add(three.ann().sendCommit(three.group(), three.group().commit(three.ann().member())).getSequence());
      }
      // c is unreachable: adding its second client is accepted all the same, its Welcome waits.
      accepted.add(three.ann().commit(three.groupId(), new Proposal.Add(three.cat2Package())).getSequence());
      until("a's lane towards c is full", () -> peer(A, C).getOutboxDepth() >= 5);
      assertTrue(peer(A, C).getOutboxDepth() <= 6, "the lane holds no more than its limit (and its group's event)");
    } finally {
      servers().restore(A, C);
    }
    // c calls a: a's backoff towards c is reset; the lane drains, then c fetches what a skipped.
    three.cat().directory().discoverUser(DiscoverUserRequest.newBuilder()
        .setQuery(FederationTest.handleOf(three.ann()) + "@" + A).build());
    until("c has every message a accepted", () -> {
      atC.read(three.groupId());
      return atC.read.keySet().containsAll(accepted);
    });
    until("c's second client gets its Welcome",
        () -> three.cat2().fetchAll().stream().anyMatch(QueueEntry::hasWelcome));
    atBAgain.read(three.groupId());
    for (Reader reader : List.of(atBAgain, atC)) {
      assertEquals(reader.order.stream().sorted().toList(), reader.order, "in the hub's order");
      long first = reader.order.getFirst();
      long lastRead = reader.order.getLast();
      assertEquals(lastRead - first + 1, reader.order.size(), reader.member.id() + " read without a gap");
    }
    assertEquals(three.group().epoch(), group(three.cat(), three.groupId()).getEpoch());
    assertEquals(4, group(three.cat(), three.groupId()).getMembersCount());
    assertTrue(atB.read.isEmpty(), "b's first view read nothing before it was killed");
  }

  /**
   * A follower that missed messages the hub no longer holds (dropped while the link was cut and
   * the follower's lane full, as the retention drops them) gets a QueueGap naming the group, reason
   * HUB_RETENTION, so its member rejoins; its copy takes the hub's state, and what the hub still
   * held arrives once.
   */
  @Test
  void aFollowerPastTheHubsRetentionIsToldToRejoin() throws Exception {
    TestMember ann = user(A, "ann");
    TestMember cat = user(C, "cat");
    byte[] groupId = groupOf(ann, List.of(cat));
    TestGroup group = TestMember.group(groupId);
    long last = 0;
    servers().cut(A, C);
    try {
      for (int i = 0; i < 9; i++) {
        last = ann.sendCommit(group, group.commit(ann.member())).getSequence();
      }
      until("a's lane towards c is full", () -> peer(A, C).getOutboxDepth() >= 5);
      try (var db = servers().database(A);
           var drop = db.prepareStatement("delete from delivery.group_log where group_id = ? and sequence < ?")) {
        drop.setBytes(1, groupId);
        drop.setLong(2, last);
        assertTrue(drop.executeUpdate() > 0, "the hub held the group's log");
      }
    } finally {
      servers().restore(A, C);
    }
    cat.directory().discoverUser(DiscoverUserRequest.newBuilder()
        .setQuery(FederationTest.handleOf(ann) + "@" + A).build());
    List<QueueEntry> read = new ArrayList<>();
    long newest = last;
    until("c's member is told to rejoin and has the newest message", () -> {
      List<QueueEntry> entries = cat.drain();
      read.addAll(entries);
      return read.stream().anyMatch(e -> e.hasEvent() && e.getEvent().hasQueueGap())
          && read.stream().anyMatch(e -> e.hasMessage() && e.getSequence() == newest);
    });
    var gap = read.stream().filter(e -> e.hasEvent() && e.getEvent().hasQueueGap()).findFirst().orElseThrow()
        .getEvent().getQueueGap();
    assertEquals(QueueGapReason.QUEUE_GAP_REASON_HUB_RETENTION, gap.getReason());
    assertEquals(ByteString.copyFrom(groupId), gap.getLogGroupId());
    List<Long> numbers = read.stream().filter(QueueEntry::hasMessage).map(QueueEntry::getSequence).toList();
    assertEquals(numbers.stream().distinct().sorted().toList(), numbers, "each message once, in order");
    assertEquals(group.epoch(), group(cat, groupId).getEpoch(), "c's copy has the hub's state");
  }

  /**
   * A peer's forged fan-out for a group it does not host, a Welcome for a KeyPackage it did not
   * claim, a relay and a fetch for a group none of its clients is in, and an oversized batch are
   * refused and change nothing.
   */
  @Test
  void whatAPeerForgesIsRefusedAndChangesNothing() throws Exception {
    TestMember ann = user(A, "ann");
    TestMember bob = user(B, "bob");
    byte[] groupId = groupOf(ann, List.of(bob));
    ByteString id = ByteString.copyFrom(groupId);
    long epoch = group(bob, groupId).getEpoch();
    ManagedChannel toB = FederationFixture.rogue().channelTo(B, servers().federationPort(B));
    ManagedChannel toA = FederationFixture.rogue().channelTo(A, servers().federationPort(A));
    try {
      // A fan-out for a's group, from d.
      Delivery forged = Delivery.newBuilder().setGroupMessage(DeliverGroupMessageRequest.newBuilder()
          .setGroupId(id).setEpoch(epoch).setSequence(100).setMlsMessage(ByteString.copyFromUtf8("forged"))
          .setSenderClientUuid(UUID.randomUUID().toString()).setIdempotencyKey(UUID.randomUUID().toString())).build();
      DeliveryResult result = batch(toB, B, forged);
      assertEquals(Code.PERMISSION_DENIED.value(), result.getCode(), result.toString());
      assertEquals(ErrorReason.PEER_DOMAIN_MISMATCH, result.getReason());

      // A Welcome adding bob's client with a KeyPackage d never claimed, for a group of d's own.
      TestGroup fake = TestGroup.create(ann.suite, TestMessages.random(16), ann.member(), Instant.now());
      TestGroup.Pending adding = fake.commit(ann.member(), new Proposal.Add(bob.keyPackage(Instant.now())));
      Delivery welcome = Delivery.newBuilder().setWelcome(DeliverWelcomeRequest.newBuilder()
          .setGroupId(ByteString.copyFrom(fake.groupId())).setEpoch(1).setSequence(1)
          .setWelcome(ByteString.copyFrom(adding.welcome())).addRecipientClientIds(bob.id())
          .setCommitterClientId("mimi://" + D + "/c/eve/" + UUID.randomUUID())
          .setGroupState(GroupState.newBuilder().setGroup(Group.newBuilder().setGroupId(
              ByteString.copyFrom(fake.groupId())).setCipherSuite(ann.suite.code()).setEpoch(1).setHubDomain(D)))
          .setIdempotencyKey(UUID.randomUUID().toString())).build();
      result = batch(toB, B, welcome);
      assertEquals(Code.PERMISSION_DENIED.value(), result.getCode(), result.toString());
      assertEquals(ErrorReason.KEY_PACKAGE_NOT_CLAIMED, result.getReason());

      // A relay and a fetch for a's group, whose members d has none of.
      var relay = RelayGroupOperationRequest.newBuilder().setClientId("mimi://" + D + "/c/eve/" + UUID.randomUUID())
          .setIdempotencyKey(UUID.randomUUID().toString())
          .setSend(RelayedSend.newBuilder().setMlsMessage(ByteString.copyFrom(
              TestMember.group(groupId).commit(ann.member()).commit()))).build();
      assertFails(Code.PERMISSION_DENIED, ErrorReason.NOT_A_MEMBER,
          () -> call(toA, A, FederationServiceGrpc.getRelayGroupOperationMethod(), relay));
      var fetch = FetchGroupMessagesRequest.newBuilder().setGroupId(id).build();
      assertFails(Code.PERMISSION_DENIED, ErrorReason.NOT_A_MEMBER,
          () -> call(toA, A, FederationServiceGrpc.getFetchGroupMessagesMethod(), fetch));

      // More than a batch may carry.
      var oversized = DeliverBatchRequest.newBuilder();
      for (int i = 0; i <= 100; i++) {
        oversized.addDeliveries(forged);
      }
      assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT,
          () -> call(toB, B, FederationServiceGrpc.getDeliverBatchMethod(), oversized.build()));
    } finally {
      toA.shutdownNow();
      toB.shutdownNow();
    }
    assertEquals(epoch, group(bob, groupId).getEpoch(), "b's copy of the group did not move");
    assertEquals(epoch, group(ann, groupId).getEpoch(), "nor did the group");
    assertTrue(bob.fetchAll().isEmpty(), "bob got nothing of it");
  }

  /**
   * Blocking c at run time stops the group's traffic with c both ways and tells a's and b's
   * members; a commit adding another client of c's is refused with its own error; allowing c again
   * tells them too, and c catches up on what it missed.
   */
  @Test
  void blockingADomainAtRunTimeStopsItsGroupTrafficAndUnblockingLetsItCatchUp() throws Exception {
    ThreeDomains three = ThreeDomains.start();
    Reader atC = new Reader(three.cat());
    List<Long> whileBlocked = new ArrayList<>();
    servers().federationAdmin(A).changeFederationPolicy(ChangeFederationPolicyRequest.newBuilder().setDomain(C)
        .setChange(PolicyChange.POLICY_CHANGE_BLOCK).build());
    try {
      for (TestMember member : List.of(three.ann(), three.bob())) {
        until(member.id() + " is told c is cut off", () -> member.drain().stream().filter(QueueEntry::hasEvent)
            .map(QueueEntry::getEvent).filter(ServerEvent::hasGroupFederationChanged)
            .map(ServerEvent::getGroupFederationChanged)
            .anyMatch(e -> e.getDomain().equals(C) && e.getBlocked()));
      }
      // c's member cannot send; a's can, and c gets none of it.
      assertFails(Code.PERMISSION_DENIED, ErrorReason.FEDERATION_DENIED,
          () -> three.cat().sendBundle(three.group().commit(three.cat().member()).commit(), null));
      for (int i = 0; i < 3; i++) {
        whileBlocked.add(three.ann().sendCommit(three.group(), three.group().commit(three.ann().member())).getSequence());
      }
      assertFails(Code.PERMISSION_DENIED, ErrorReason.ADD_DOMAIN_FORBIDDEN,
          () -> three.ann().commit(three.groupId(), new Proposal.Add(three.cat2Package())));
      Reader atB = new Reader(three.bob());
      until("b reads what a sent", () -> {
        atB.read(three.groupId());
        return atB.read.keySet().containsAll(whileBlocked);
      });
      assertEquals(0, peer(A, C).getOutboxDepth(), "nothing is queued for c");
      atC.read(three.groupId());
      assertTrue(atC.read.isEmpty(), "c got nothing while blocked");
    } finally {
      servers().federationAdmin(A).changeFederationPolicy(ChangeFederationPolicyRequest.newBuilder().setDomain(C)
          .setChange(PolicyChange.POLICY_CHANGE_ALLOW).build());
    }
    for (TestMember member : List.of(three.ann(), three.bob())) {
      until(member.id() + " is told c is back", () -> member.drain().stream().filter(QueueEntry::hasEvent)
          .map(QueueEntry::getEvent).filter(ServerEvent::hasGroupFederationChanged)
          .map(ServerEvent::getGroupFederationChanged)
          .anyMatch(e -> e.getDomain().equals(C) && !e.getBlocked()));
    }
    until("c catches up on what it missed", () -> {
      atC.read(three.groupId());
      return atC.read.keySet().containsAll(whileBlocked);
    });
    assertEquals(atC.order.stream().sorted().toList(), atC.order);
    assertEquals(whileBlocked.size(), atC.order.size(), "each once");
    // c's member can send again.
    three.cat().sendCommit(three.group(), three.group().commit(three.cat().member()));
  }

  /**
   * A display-name change and an account deletion on b reach the group's members on a and c (c's
   * user is not connected with b's: they share the group), and the group's deletion on a reaches
   * b and c, whose copies are gone.
   */
  @Test
  void profileChangesDeletionsAndTheGroupsDeletionReachFederatedCoMembers() throws Exception {
    TestMember ann = user(A, "ann");
    TestMember bob = user(B, "bob");
    TestMember cat = user(C, "cat");
    TestMember dan = user(B, "dan");
    byte[] groupId = groupOf(ann, List.of(bob, cat, dan));

    bob.directory().setDisplayName(SetDisplayNameRequest.newBuilder().setDisplayName("Bob B.").build());
    for (TestMember member : List.of(ann, cat)) {
      until(member.id() + " sees bob's new name", () -> member.drain().stream().filter(QueueEntry::hasEvent)
          .anyMatch(e -> e.getEvent().hasProfileChanged()
              && e.getEvent().getProfileChanged().getUserId().equals(bob.client.userId())));
    }
    dan.directory().deleteAccount(DeleteAccountRequest.newBuilder().setPassword(TestHomeserver.PASSWORD).build());
    for (TestMember member : List.of(ann, cat)) {
      until(member.id() + " is told dan is gone", () -> member.drain().stream().filter(QueueEntry::hasEvent)
          .anyMatch(e -> e.getEvent().hasUserDeleted()
              && e.getEvent().getUserDeleted().getUserId().equals(dan.client.userId())));
    }

    ann.delivery().deleteGroup(DeleteGroupRequest.newBuilder().setGroupId(ByteString.copyFrom(groupId)).build());
    for (TestMember member : List.of(bob, cat)) {
      until(member.id() + " is told the group is deleted", () -> member.drain().stream()
          .filter(QueueEntry::hasEvent).anyMatch(e -> e.getEvent().hasGroupDeleted()
              && e.getEvent().getGroupDeleted().getGroupId().equals(ByteString.copyFrom(groupId))));
      assertFails(Code.NOT_FOUND, ErrorReason.GROUP_NOT_FOUND, () -> group(member, groupId));
    }
  }

  /**
   * interop/'s federated group scenarios: ts-mls clients on three homeservers in one group hosted on
   * a, committing at the same moment from b and c and decrypting everything; and the big-group and
   * offline scenarios with their members spread over a and b.
   */
  @Test
  void tsMlsClientsOnSeveralHomeserversShareGroups() throws Exception {
    FederationFixture.interop("federated-group", "federated-big-group", "federated-offline");
  }

  private static org.homeserver.api.federation.v1.Peer peer(String at, String domain) {
    return servers().federationAdmin(at).listPeers(ListPeersRequest.getDefaultInstance()).getPeersList().stream()
        .filter(p -> p.getDomain().equals(domain)).findFirst()
        .orElse(org.homeserver.api.federation.v1.Peer.getDefaultInstance());
  }

  /** One delivery in a batch from d to {@code to}; its result. */
  private static DeliveryResult batch(ManagedChannel channel, String to, Delivery delivery) {
    return call(channel, to, FederationServiceGrpc.getDeliverBatchMethod(),
        DeliverBatchRequest.newBuilder().addDeliveries(delivery).build()).getResults(0);
  }

  /** A call of d's to {@code to}, signed as d signs. */
  private static <Q extends Message, R> R call(ManagedChannel channel, String to, MethodDescriptor<Q, R> method,
      Q request) {
    return RoguePeer.call(channel, method, request, RequestSignature.sign(FederationFixture.rogue().key, method.getFullMethodName(), D,
        to, request.toByteArray(), Instant.now()));
  }
}
