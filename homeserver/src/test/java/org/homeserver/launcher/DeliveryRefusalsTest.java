package org.homeserver.launcher;

import static org.homeserver.launcher.Failures.assertFails;
import static org.homeserver.launcher.Failures.metadata;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.UUID;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.CommitBundle;
import org.homeserver.api.delivery.v1.GetGroupRequest;
import org.homeserver.api.delivery.v1.Group;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.TestMessages;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.ContentType;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.Sender;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every kind of bad Send gets its documented status and reason, and changes nothing: the group's
 * epoch and members stay, and no member finds anything new in its queue.
 */
class DeliveryRefusalsTest {
  private static TestHomeserver server;
  private static TestMember alice;
  private static TestMember bob;
  private static TestMember carol;
  private static TestMember mallory;

  private byte[] groupId;
  private TestGroup group;
  private Group before;

  @BeforeAll
  static void start() throws Exception {
    server = TestHomeserver.withUsers("alice", "bob", "carol", "mallory");
    server.connectAll("alice", "bob", "carol");
    alice = TestMember.register(server, "alice");
    bob = TestMember.register(server, "bob");
    carol = TestMember.register(server, "carol");
    mallory = TestMember.register(server, "mallory");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** A group of alice (leaf 0) and bob (leaf 1) at epoch 1, with both queues drained. */
  @BeforeEach
  void createGroupOfAliceAndBob() {
    groupId = alice.createGroupWith(bob, server.clock.instant());
    group = TestMember.group(groupId);
    bob.drain();
    before = group();
  }

  /** Nothing the refused sends did is visible. */
  @AfterEach
  void nothingChanged() {
    assertEquals(before, group());
    for (TestMember member : List.of(alice, bob, carol, mallory)) {
      assertEquals(List.of(), member.fetchAll(), "the queue of " + member.id());
    }
  }

  private Group group() {
    return alice.delivery().getGroup(GetGroupRequest.newBuilder().setGroupId(ByteString.copyFrom(groupId)).build())
        .getGroup();
  }

  private static StatusRuntimeException refused(Status.Code code, ErrorReason reason, Executable call) {
    return assertFails(code, reason, call);
  }

  /** {@code message} as sent by leaf {@code leaf} for {@code epoch}, validly signed by {@code signer}. */
  private byte[] signedBy(TestMember signer, byte[] message, long leaf, long epoch) {
    return group.reframed(message, signer.member(), new Sender.Member(leaf), epoch);
  }

  @Test
  void aNonMemberCannotSendAnything() {
    refused(Status.Code.PERMISSION_DENIED, ErrorReason.NOT_A_MEMBER,
        () -> mallory.send(TestMessages.application(groupId, 1, 10)));
    // What alice and bob could send, signed by mallory for their leaves.
    TestGroup.Pending addCarol = aliceAddingCarol();
    byte[] commit = signedBy(mallory, addCarol.commit(), 0, 1);
    refused(Status.Code.PERMISSION_DENIED, ErrorReason.NOT_A_MEMBER,
        () -> mallory.sendBundle(commit, addCarol.welcome()));
    byte[] proposal = signedBy(mallory, group.proposal(bob.member(), new Proposal.Remove(0)), 1, 1);
    refused(Status.Code.PERMISSION_DENIED, ErrorReason.NOT_A_MEMBER, () -> mallory.send(proposal));
  }

  @Test
  void aMemberCannotSpeakForAnotherLeaf() {
    TestGroup.Pending addCarol = aliceAddingCarol();
    byte[] asAlice = signedBy(bob, addCarol.commit(), 0, 1);
    refused(Status.Code.PERMISSION_DENIED, ErrorReason.NOT_A_MEMBER, () -> bob.sendBundle(asAlice, addCarol.welcome()));
  }

  /** Alice's commit adding carol: without an UpdatePath, so it holds no leaf of alice's, only her sender leaf. */
  private TestGroup.Pending aliceAddingCarol() {
    return group.commit(alice.member(), new Proposal.Add(carol.keyPackage(server)));
  }

  @Test
  void aStrangerCannotJoinByExternalCommit() {
    StatusRuntimeException e = refused(Status.Code.PERMISSION_DENIED, ErrorReason.ADD_NOT_ALLOWED,
        () -> mallory.send(group.externalJoin(mallory.member(), OptionalInt.empty()).commit()));
    assertEquals(mallory.id(), metadata(e).get("client_id"));
  }

  @Test
  void onlyOwnConnectedOrRequestedUsersClientsMayBeAdded() {
    KeyPackage stranger = mallory.keyPackage(server);
    TestGroup.Pending add = group.commit(bob.member(), new Proposal.Add(stranger));
    StatusRuntimeException e = refused(Status.Code.PERMISSION_DENIED, ErrorReason.ADD_NOT_ALLOWED,
        () -> bob.sendBundle(add.commit(), add.welcome()));
    assertEquals(mallory.id(), metadata(e).get("client_id"));
    refused(Status.Code.PERMISSION_DENIED, ErrorReason.ADD_NOT_ALLOWED,
        () -> bob.send(group.proposal(bob.member(), new Proposal.Add(stranger))));
  }

  @Test
  void eachContentHasItsWireFormat() {
    refused(Status.Code.INVALID_ARGUMENT, ErrorReason.WIRE_FORMAT_NOT_ALLOWED,
        () -> bob.send(TestMessages.privateMessage(groupId, 1, ContentType.COMMIT, 50)));
    refused(Status.Code.INVALID_ARGUMENT, ErrorReason.WIRE_FORMAT_NOT_ALLOWED,
        () -> bob.send(TestMessages.privateMessage(groupId, 1, ContentType.PROPOSAL, 50)));
    refused(Status.Code.INVALID_ARGUMENT, ErrorReason.WIRE_FORMAT_NOT_ALLOWED,
        () -> bob.send(signedBy(bob, TestMessages.publicMessage(groupId, 1, new Sender.Member(1),
            new FramedContent.Application(new byte[10])), 1, 1)));
    refused(Status.Code.INVALID_ARGUMENT, ErrorReason.WIRE_FORMAT_NOT_ALLOWED,
        () -> bob.send(TestMessages.welcome(bob.suite, List.of(alice.keyPackage(server)))));
    refused(Status.Code.INVALID_ARGUMENT, ErrorReason.WIRE_FORMAT_NOT_ALLOWED,
        () -> bob.send(TestKeyPackages.encodeAsMessage(alice.keyPackage(server))));
  }

  @Test
  void commitsForAStaleOrAFutureEpochNameTheCurrentOne() {
    byte[] removeAlice = group.commit(bob.member(), new Proposal.Remove(0)).commit();
    for (long epoch : List.of(0L, 2L, 7L)) {
      StatusRuntimeException e = refused(Status.Code.FAILED_PRECONDITION, ErrorReason.WRONG_EPOCH,
          () -> bob.sendBundle(signedBy(bob, removeAlice, 1, epoch), null));
      assertEquals("1", metadata(e).get("current_epoch"));
    }
    byte[] staleProposal = signedBy(bob, group.proposal(bob.member(), new Proposal.Remove(0)), 1, 0);
    StatusRuntimeException e = refused(Status.Code.FAILED_PRECONDITION, ErrorReason.WRONG_EPOCH,
        () -> bob.send(staleProposal));
    assertEquals("1", metadata(e).get("current_epoch"));
  }

  @Test
  void applicationMessagesAreAcceptedOnlyUpToTheCurrentEpoch() {
    StatusRuntimeException e = refused(Status.Code.FAILED_PRECONDITION, ErrorReason.WRONG_EPOCH,
        () -> bob.send(TestMessages.application(groupId, 2, 10)));
    assertEquals("1", metadata(e).get("current_epoch"));
  }

  @Test
  void anUnknownGroupIsNotFound() {
    TestGroup unknown = bob.newGroup(TestMessages.random(16));
    refused(Status.Code.NOT_FOUND, ErrorReason.GROUP_NOT_FOUND,
        () -> bob.send(TestMessages.application(unknown.groupId(), 0, 10)));
    refused(Status.Code.NOT_FOUND, ErrorReason.GROUP_NOT_FOUND, () -> bob.send(unknown.commit(bob.member()).commit()));
  }

  @Test
  void malformedBytesNameTheFieldAndOffset() {
    byte[] commit = group.commit(bob.member(), new Proposal.Remove(0)).commit();
    StatusRuntimeException truncated = refused(Status.Code.INVALID_ARGUMENT, ErrorReason.MLS_MESSAGE_MALFORMED,
        () -> bob.send(Arrays.copyOf(commit, commit.length - 5)));
    assertTrue(metadata(truncated).containsKey("field"), metadata(truncated).toString());
    assertTrue(Integer.parseInt(metadata(truncated).get("offset")) > 0, metadata(truncated).toString());

    byte[] trailing = Arrays.copyOf(commit, commit.length + 1);
    refused(Status.Code.INVALID_ARGUMENT, ErrorReason.MLS_MESSAGE_MALFORMED, () -> bob.send(trailing));
    refused(Status.Code.INVALID_ARGUMENT, ErrorReason.MLS_MESSAGE_MALFORMED, () -> bob.send(new byte[] {0, 1, 0}));
    StatusRuntimeException badWelcome = refused(Status.Code.INVALID_ARGUMENT, ErrorReason.MLS_MESSAGE_MALFORMED,
        () -> bob.sendBundle(commit, new byte[] {0, 1, 0, 3, 0}));
    assertTrue(metadata(badWelcome).get("field").startsWith("commit_bundle.welcome."), metadata(badWelcome).toString());
  }

  @Test
  void aKeyPackageSentWithoutItsMlsMessageIsNamedAsSuch() {
    byte[] bare = bob.keyPackage(server).toBytes();
    StatusRuntimeException e = refused(Status.Code.INVALID_ARGUMENT, ErrorReason.MLS_MESSAGE_MALFORMED,
        () -> bob.send(bare));
    assertEquals("mls_message.wire_format", metadata(e).get("field"));
    assertEquals("2", metadata(e).get("offset"));
    assertTrue(e.getStatus().getDescription().contains("these bytes are a bare KeyPackage, not an MLSMessage"),
        e.getStatus().getDescription());
  }

  @Test
  void aWelcomeMustNameExactlyTheAddedKeyPackages() {
    KeyPackage added = carol.keyPackage(server);
    KeyPackage other = carol.keyPackage(server);
    byte[] commit = group.commit(bob.member(), new Proposal.Add(added)).commit();
    refused(Status.Code.INVALID_ARGUMENT, ErrorReason.WELCOME_MISMATCH,
        () -> bob.sendBundle(commit, TestMessages.welcome(bob.suite, List.of(other))));
    refused(Status.Code.INVALID_ARGUMENT, ErrorReason.WELCOME_MISMATCH,
        () -> bob.sendBundle(commit, TestMessages.welcome(bob.suite, List.of(added, other))));
    refused(Status.Code.INVALID_ARGUMENT, ErrorReason.WELCOME_MISMATCH, () -> bob.sendBundle(commit, null));
    refused(Status.Code.INVALID_ARGUMENT, ErrorReason.WELCOME_MISMATCH,
        () -> bob.sendBundle(group.commit(bob.member(), new Proposal.Remove(0)).commit(),
            TestMessages.welcome(bob.suite, List.of(added))));
  }

  @Test
  void anAddedKeyPackageMustValidateAndNameItsRegisteredClient() {
    KeyPackage valid = mallory.keyPackage(server);
    KeyPackage tampered = new KeyPackage(valid.version(), valid.cipherSuite(), TestMessages.random(32),
        valid.leafNode(), valid.extensions(), valid.signature());
    StatusRuntimeException badSignature = refused(Status.Code.INVALID_ARGUMENT, ErrorReason.KEY_PACKAGE_INVALID,
        () -> bob.sendBundle(group.commit(bob.member(), new Proposal.Add(tampered)).commit(),
            TestMessages.welcome(bob.suite, List.of(tampered))));
    assertEquals("KEY_PACKAGE_RULE_SIGNATURE_INVALID", metadata(badSignature).get("rule"));
    assertEquals(mallory.id(), metadata(badSignature).get("client_id"));

    // Mallory's credential with a key of her own making: the signatures verify, the key is not hers.
    TestKeyPackages.SigningKey otherKey = TestKeyPackages.SigningKey.generate(mallory.suite.signatureScheme());
    KeyPackage foreignKey = TestKeyPackages.create(mallory.suite, mallory.credential(), otherKey, server.clock.instant());
    StatusRuntimeException wrongKey = refused(Status.Code.INVALID_ARGUMENT, ErrorReason.KEY_PACKAGE_INVALID,
        () -> bob.sendBundle(group.commit(bob.member(), new Proposal.Add(foreignKey)).commit(),
            TestMessages.welcome(bob.suite, List.of(foreignKey))));
    assertEquals("KEY_PACKAGE_RULE_CREDENTIAL_INVALID", metadata(wrongKey).get("rule"));

    KeyPackage basic = TestKeyPackages.create(mallory.suite, TestKeyPackages.basic(mallory.id()), mallory.signingKey(),
        server.clock.instant());
    StatusRuntimeException notX509 = refused(Status.Code.INVALID_ARGUMENT, ErrorReason.KEY_PACKAGE_INVALID,
        () -> bob.sendBundle(group.commit(bob.member(), new Proposal.Add(basic)).commit(),
            TestMessages.welcome(bob.suite, List.of(basic))));
    assertEquals("KEY_PACKAGE_RULE_CREDENTIAL_INVALID", metadata(notX509).get("rule"));
    assertFalse(metadata(notX509).containsKey("client_id"));
  }

  @Test
  void aProposalByReferenceMustHaveBeenAccepted() {
    refused(Status.Code.FAILED_PRECONDITION, ErrorReason.PROPOSAL_NOT_FOUND,
        () -> bob.send(group.commit(bob.member(), List.of(new Commit.ByReference(TestMessages.random(32)))).commit()));
  }

  @Test
  void anOversizedMessageIsRefusedWhole() {
    StatusRuntimeException e = refused(Status.Code.RESOURCE_EXHAUSTED, ErrorReason.REQUEST_TOO_LARGE,
        () -> bob.send(TestMessages.application(groupId, 1, 1024 * 1024)));
    assertEquals(Integer.toString(1024 * 1024), metadata(e).get("limit_bytes"));
    refused(Status.Code.RESOURCE_EXHAUSTED, ErrorReason.REQUEST_TOO_LARGE,
        () -> bob.delivery().send(SendRequest.newBuilder().setIdempotencyKey(UUID.randomUUID().toString()).setCommitBundle(CommitBundle
            .newBuilder().setCommit(ByteString.copyFrom(group.commit(bob.member(), new Proposal.Remove(0)).commit()))
            .setGroupInfo(ByteString.copyFrom(new byte[4 * 1024 * 1024]))).build()));
  }

  @Test
  void aSendNeedsAnIdempotencyKeyAndAKeyServesOneRequest() {
    refused(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> bob.delivery().send(SendRequest
        .newBuilder().setMlsMessage(ByteString.copyFrom(TestMessages.application(groupId, 1, 10))).build()));
    refused(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> bob.delivery().send(SendRequest
        .newBuilder().setIdempotencyKey("too-short").setMlsMessage(ByteString.copyFrom(
            TestMessages.application(groupId, 1, 10))).build()));
    String key = UUID.randomUUID().toString();
    SendRequest first = SendRequest.newBuilder().setIdempotencyKey(key)
        .setMlsMessage(ByteString.copyFrom(TestMessages.application(groupId, 1, 10))).build();
    bob.delivery().send(first);
    assertEquals(1, alice.drain().size());
    refused(Status.Code.FAILED_PRECONDITION, ErrorReason.IDEMPOTENCY_KEY_REUSED, () -> bob.delivery().send(first.toBuilder()
        .setMlsMessage(ByteString.copyFrom(TestMessages.application(groupId, 1, 10))).build()));
  }
}
