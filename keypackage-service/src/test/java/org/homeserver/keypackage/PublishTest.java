package org.homeserver.keypackage;

import static org.homeserver.keypackage.StoreFixture.SUITE;
import static org.homeserver.keypackage.StoreFixture.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.rpc.BadRequest;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.keypackage.v1.KeyPackageCount;
import org.homeserver.api.keypackage.v1.KeyPackageRule;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesResponse;
import org.homeserver.keypackage.StoreFixture.Client;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.TestMessages;
import org.homeserver.mls.TestKeyPackages.SigningKey;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.ErrorStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PublishTest {
  private final StoreFixture fixture = StoreFixture.start();

  @AfterEach
  void close() {
    fixture.close();
  }

  @Test
  void publishReplacesEveryEarlierKeyPackageAndAnswersTheCounts() {
    Client alice = fixture.register("alice");
    List<ByteString> first = new ArrayList<>(fixture.keyPackages(alice, 5));
    first.add(fixture.lastResort(alice, SUITE));
    PublishKeyPackagesResponse answer = fixture.publish(alice, first);
    assertEquals(List.of(count(SUITE, 5, true)), answer.getCountsList());

    PublishKeyPackagesResponse second = fixture.publish(alice, fixture.keyPackages(alice, 3));

    assertEquals(List.of(count(SUITE, 3, false)), second.getCountsList());
    assertEquals(second.getCountsList(), fixture.publishes.count(alice.principal(), 0));
  }

  @Test
  void countsAreKeptPerSuiteAndCanBeAskedForOneSuite() {
    Client alice = fixture.register("alice");
    CipherSuite chacha = CipherSuite.MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519;
    List<ByteString> batch = new ArrayList<>(fixture.keyPackages(alice, 2));
    batch.add(StoreFixture.encoded(TestKeyPackages.create(chacha, alice.credential(), alice.key(),
        fixture.clock.instant())));
    batch.add(fixture.lastResort(alice, chacha));

    fixture.publish(alice, batch);

    assertEquals(List.of(count(SUITE, 2, false), count(chacha, 1, true)), fixture.publishes.count(alice.principal(), 0));
    assertEquals(List.of(count(chacha, 1, true)), fixture.publishes.count(alice.principal(), chacha.code()));
    assertEquals(List.of(), fixture.publishes.count(alice.principal(), 2));
  }

  @Test
  void eachInvalidKeyPackageIsNamedWithItsRuleAndNothingIsStored() {
    Client alice = fixture.register("alice");
    fixture.publish(alice, fixture.keyPackages(alice, 2));
    Instant now = fixture.clock.instant();
    KeyPackage valid = TestKeyPackages.create(SUITE, alice.credential(), alice.key(), now);
    byte[] signature = valid.signature();
    signature[0] ^= 1;
    KeyPackage badSignature = new KeyPackage(valid.version(), valid.cipherSuite(), valid.initKey(), valid.leafNode(),
        valid.extensions(), signature);
    CipherSuite ed448 = CipherSuite.MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448;
    KeyPackage disallowedSuite = TestKeyPackages.create(ed448, alice.credential(),
        SigningKey.generate(ed448.signatureScheme()), now);
    KeyPackage expired = TestKeyPackages.create(SUITE, alice.credential(), alice.key(), now.minus(Duration.ofDays(30)),
        now.minus(Duration.ofDays(2)), List.of());
    KeyPackage basicCredential = TestKeyPackages.create(SUITE, TestKeyPackages.basic(alice.id()), alice.key(), now);
    ByteString trailing = fixture.keyPackage(alice).concat(ByteString.copyFrom(new byte[] {0}));

    List<ByteString> batch = List.of(fixture.keyPackage(alice), StoreFixture.encoded(badSignature),
        StoreFixture.encoded(disallowedSuite), StoreFixture.encoded(expired), trailing,
        StoreFixture.encoded(basicCredential), ByteString.copyFrom(new byte[BatchAdmission.MAX_KEY_PACKAGE_BYTES + 1]));
    Refusal e = refused(ErrorReason.KEY_PACKAGE_INVALID, () -> fixture.publish(alice, batch));

    assertEquals("1", e.metadata().get("index"));
    assertEquals(KeyPackageRule.KEY_PACKAGE_RULE_SIGNATURE_INVALID.name(), e.metadata().get("rule"));
    assertFalse(e.metadata().get("detail").isEmpty());
    Map<String, KeyPackageRule> expected = Map.of(
        "key_packages[1]", KeyPackageRule.KEY_PACKAGE_RULE_SIGNATURE_INVALID,
        "key_packages[2]", KeyPackageRule.KEY_PACKAGE_RULE_CIPHER_SUITE_NOT_ALLOWED,
        "key_packages[3]", KeyPackageRule.KEY_PACKAGE_RULE_LIFETIME_INVALID,
        "key_packages[4]", KeyPackageRule.KEY_PACKAGE_RULE_MALFORMED,
        "key_packages[5]", KeyPackageRule.KEY_PACKAGE_RULE_CREDENTIAL_INVALID,
        "key_packages[6]", KeyPackageRule.KEY_PACKAGE_RULE_TOO_LARGE);
    List<BadRequest.FieldViolation> violations = badRequest(e).getFieldViolationsList();
    assertEquals(expected.size(), violations.size(), violations.toString());
    for (BadRequest.FieldViolation v : violations) {
      assertTrue(v.getDescription().startsWith(expected.get(v.getField()).name() + ": "), v.toString());
    }
    assertEquals(2, fixture.count(alice));
  }

  @Test
  void aKeyPackageNotInAnMlsMessageOfWireFormatKeyPackageIsRefusedSayingWhatWasExpected() {
    Client alice = fixture.register("alice");
    KeyPackage keyPackage = TestKeyPackages.create(SUITE, alice.credential(), alice.key(), fixture.clock.instant());
    ByteString bare = ByteString.copyFrom(keyPackage.toBytes());
    Refusal e = refused(ErrorReason.KEY_PACKAGE_INVALID, () -> fixture.publish(alice, List.of(bare)));
    assertEquals(KeyPackageRule.KEY_PACKAGE_RULE_MALFORMED.name(), e.metadata().get("rule"));
    assertEquals("mls_message.wire_format at offset 2: is 1 (mls_public_message): these bytes are a bare KeyPackage, "
        + "not an MLSMessage; send it as MLSMessage{version = mls10 (1), wire_format = mls_key_package (5), "
        + "key_package}", e.metadata().get("detail"));

    ByteString welcome = ByteString.copyFrom(TestMessages.welcome(SUITE, List.of(keyPackage)));
    Refusal other = refused(ErrorReason.KEY_PACKAGE_INVALID, () -> fixture.publish(alice, List.of(welcome)));
    assertEquals(KeyPackageRule.KEY_PACKAGE_RULE_MALFORMED.name(), other.metadata().get("rule"));
    assertEquals("the MLSMessage has wire_format mls_welcome (3); a KeyPackage is sent as wire_format "
        + "mls_key_package (5)", other.metadata().get("detail"));
    assertEquals(0, fixture.count(alice));
  }

  @Test
  void aKeyPackageOfAnotherSuiteThanTheClientsKeyIsRefused() {
    Client alice = fixture.register("alice");
    CipherSuite p256 = CipherSuite.MLS_128_DHKEMP256_AES128GCM_SHA256_P256;
    KeyPackage other = TestKeyPackages.create(p256, alice.credential(), SigningKey.generate(p256.signatureScheme()),
        fixture.clock.instant());

    Refusal e = refused(ErrorReason.KEY_PACKAGE_INVALID,
        () -> fixture.publish(alice, List.of(StoreFixture.encoded(other))));

    assertEquals(KeyPackageRule.KEY_PACKAGE_RULE_CIPHER_SUITE_NOT_ALLOWED.name(), e.metadata().get("rule"));
  }

  @Test
  void aP256ClientPublishesSuiteTwo() {
    CipherSuite p256 = CipherSuite.MLS_128_DHKEMP256_AES128GCM_SHA256_P256;
    Client bob = fixture.register("bob", p256);
    KeyPackage kp = TestKeyPackages.create(p256, bob.credential(), bob.key(), fixture.clock.instant());

    PublishKeyPackagesResponse answer = fixture.publish(bob, List.of(StoreFixture.encoded(kp)));

    assertEquals(List.of(count(p256, 1, false)), answer.getCountsList());
  }

  @Test
  void theCredentialOfAnotherClientIsAMismatchAndNothingIsStored() {
    Client phone = fixture.register("alice");
    Client laptop = fixture.register("alice");
    fixture.publish(phone, fixture.keyPackages(phone, 2));

    Refusal e = refused(ErrorReason.KEY_PACKAGE_CREDENTIAL_MISMATCH,
        () -> fixture.publish(phone, List.of(fixture.keyPackage(phone), fixture.keyPackage(laptop))));

    assertEquals(Map.of("index", "1"), e.metadata());
    assertEquals(2, fixture.count(phone));
    assertEquals(0, fixture.count(laptop));
  }

  @Test
  void theOwnCredentialWithAnotherSignatureKeyIsAMismatch() {
    Client alice = fixture.register("alice");
    KeyPackage otherKey = TestKeyPackages.create(SUITE, alice.credential(), SigningKey.generate(SUITE.signatureScheme()),
        fixture.clock.instant());

    Refusal e = refused(ErrorReason.KEY_PACKAGE_CREDENTIAL_MISMATCH,
        () -> fixture.publish(alice, List.of(StoreFixture.encoded(otherKey))));

    assertEquals("0", e.metadata().get("index"));
    assertEquals(0, fixture.count(alice));
  }

  @Test
  void twoLastResortKeyPackagesOfOneSuiteAreRefused() {
    Client alice = fixture.register("alice");
    CipherSuite chacha = CipherSuite.MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519;

    Refusal e = refused(ErrorReason.KEY_PACKAGE_INVALID, () -> fixture.publish(alice, List.of(
        fixture.lastResort(alice, SUITE), fixture.lastResort(alice, chacha), fixture.keyPackage(alice),
        fixture.lastResort(alice, SUITE))));

    assertEquals("3", e.metadata().get("index"));
    assertEquals(KeyPackageRule.KEY_PACKAGE_RULE_DUPLICATE_LAST_RESORT.name(), e.metadata().get("rule"));
    assertEquals(List.of(), fixture.publishes.count(alice.principal(), 0));
  }

  @Test
  void aRetriedPublishAnswersAsBeforeAndTheKeyCannotBeReusedForAnotherBatch() {
    Client alice = fixture.register("alice");
    var request = PublishKeyPackagesRequest.newBuilder().addAllKeyPackages(fixture.keyPackages(alice, 3))
        .setIdempotencyKey("publish-0123456789abcdef").build();
    PublishKeyPackagesResponse first = fixture.publishes.publish(alice.principal(), request);
    fixture.publish(alice, fixture.keyPackages(alice, 5));

    assertEquals(first, fixture.publishes.publish(alice.principal(), request));
    assertEquals(5, fixture.count(alice));
    refused(ErrorReason.IDEMPOTENCY_KEY_REUSED, () -> fixture.publishes.publish(alice.principal(),
        request.toBuilder().clearKeyPackages().addKeyPackages(fixture.keyPackage(alice)).build()));
  }

  private static KeyPackageCount count(CipherSuite suite, int count, boolean lastResort) {
    return KeyPackageCount.newBuilder().setCipherSuite(suite.code()).setCount(count).setHasLastResort(lastResort)
        .setLowThreshold(StoreFixture.THRESHOLD).build();
  }

  /** The BadRequest a caller finds in the status of {@code e}. */
  private static BadRequest badRequest(Refusal e) {
    return StatusProto.fromThrowable(ErrorStatus.toStatus(e)).getDetailsList().stream()
        .filter(any -> any.is(BadRequest.class)).findFirst().map(any -> {
          try {
            return any.unpack(BadRequest.class);
          } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            throw new AssertionError(ex);
          }
        }).orElseThrow();
  }
}
