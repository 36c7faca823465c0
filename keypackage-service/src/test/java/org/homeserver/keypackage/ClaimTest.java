package org.homeserver.keypackage;

import static org.homeserver.keypackage.StoreFixture.SUITE;
import static org.homeserver.keypackage.StoreFixture.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesResponse;
import org.homeserver.api.keypackage.v1.ClaimedKeyPackage;
import org.homeserver.keypackage.StoreFixture.Client;
import org.homeserver.platform.errors.Refusal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ClaimTest {
  private final StoreFixture fixture = StoreFixture.start();

  @AfterEach
  void close() {
    fixture.close();
  }

  @Test
  void aClaimHandsOutTheOldestKeyPackageOfEachOtherClientAndDeletesIt() {
    Client phone = fixture.register("alice");
    Client laptop = fixture.register("alice");
    Client tablet = fixture.register("alice");
    List<ByteString> phones = fixture.keyPackages(phone, 3);
    List<ByteString> laptops = fixture.keyPackages(laptop, 2);
    fixture.publish(phone, phones);
    fixture.publish(laptop, laptops);
    fixture.publish(tablet, fixture.keyPackages(tablet, 2));

    ClaimKeyPackagesResponse answer = fixture.claim(tablet);

    assertEquals(List.of(claimed(phone, phones.get(0), false), claimed(laptop, laptops.get(0), false)).stream()
        .sorted(Comparator.comparing(ClaimedKeyPackage::getClientId)).toList(), answer.getKeyPackagesList());
    assertEquals(List.of(), answer.getClientsWithoutKeyPackageList());
    assertEquals(2, fixture.count(phone));
    assertEquals(1, fixture.count(laptop));
    assertEquals(2, fixture.count(tablet));
  }

  @Test
  void theOnlyKeyPackageLeftIsKeptAndHandedOutToEveryLaterClaim() {
    Client phone = fixture.register("alice");
    Client laptop = fixture.register("alice");
    List<ByteString> published = fixture.keyPackages(phone, 2);
    fixture.publish(phone, published);

    assertEquals(List.of(claimed(phone, published.get(0), false)), fixture.claim(laptop).getKeyPackagesList());
    for (int i = 0; i < 3; i++) {
      assertEquals(List.of(claimed(phone, published.get(1), true)), fixture.claim(laptop).getKeyPackagesList());
    }
    assertEquals(1, fixture.count(phone));
  }

  @Test
  void theLastResortKeyPackageIsHandedOutOnlyWhenNoOtherIsLeftAndIsKept() {
    Client phone = fixture.register("alice");
    Client laptop = fixture.register("alice");
    List<ByteString> published = new ArrayList<>(fixture.keyPackages(phone, 2));
    ByteString lastResort = fixture.lastResort(phone, SUITE);
    published.add(lastResort);
    fixture.publish(phone, published);

    assertEquals(List.of(claimed(phone, published.get(0), false)), fixture.claim(laptop).getKeyPackagesList());
    assertEquals(List.of(claimed(phone, published.get(1), false)), fixture.claim(laptop).getKeyPackagesList());
    assertEquals(List.of(claimed(phone, lastResort, true)), fixture.claim(laptop).getKeyPackagesList());
    assertEquals(List.of(claimed(phone, lastResort, true)), fixture.claim(laptop).getKeyPackagesList());
    var counts = fixture.publishes.count(phone.principal(), SUITE.code());
    assertEquals(0, counts.getFirst().getCount());
    assertTrue(counts.getFirst().getHasLastResort());
  }

  @Test
  void clientsWithoutAKeyPackageOfTheSuiteAreListed() {
    Client phone = fixture.register("alice");
    Client laptop = fixture.register("alice");
    Client tablet = fixture.register("alice");
    fixture.publish(phone, fixture.keyPackages(phone, 2));

    ClaimKeyPackagesResponse answer = fixture.claim(tablet, phone, laptop);

    assertEquals(List.of(phone.id()), answer.getKeyPackagesList().stream().map(ClaimedKeyPackage::getClientId).toList());
    assertEquals(List.of(laptop.id()), answer.getClientsWithoutKeyPackageList());
  }

  @Test
  void noKeyPackageWhenNoClientAskedForHasOneAndNothingIsHandedOut() {
    Client phone = fixture.register("alice");
    Client laptop = fixture.register("alice");
    Client tablet = fixture.register("alice");
    fixture.publish(phone, fixture.keyPackages(phone, 2));

    refused(ErrorReason.NO_KEY_PACKAGE, () -> fixture.claim(tablet, laptop));
    refused(ErrorReason.NO_KEY_PACKAGE, () -> fixture.claim(phone));
    assertEquals(2, fixture.count(phone));
  }

  @Test
  void aListedClientOfAnotherUserOrAnUnknownSuiteIsRefused() {
    Client alice = fixture.register("alice");
    Client bob = fixture.register("bob");
    fixture.publish(bob, fixture.keyPackages(bob, 2));

    Refusal listed = refused(ErrorReason.INVALID_ARGUMENT, () -> fixture.claim(alice, bob));
    assertEquals("client_ids", listed.metadata().get("field"));
    Refusal suite = refused(ErrorReason.INVALID_ARGUMENT, () -> fixture.claims.claim(alice.principal(),
        ClaimKeyPackagesRequest.newBuilder().setUserId(alice.userId()).setCipherSuite(4).build()));
    assertEquals("cipher_suite", suite.metadata().get("field"));
    Refusal user = refused(ErrorReason.INVALID_ARGUMENT, () -> fixture.claims.claim(alice.principal(),
        ClaimKeyPackagesRequest.newBuilder().setUserId("alice@example.org").setCipherSuite(1).build()));
    assertEquals("user_id", user.metadata().get("field"));
    assertEquals(2, fixture.count(bob));
  }

  @Test
  void aRetriedClaimReturnsTheSameKeyPackagesAndTakesNoMore() {
    Client phone = fixture.register("alice");
    Client laptop = fixture.register("alice");
    fixture.publish(phone, fixture.keyPackages(phone, 5));
    ClaimKeyPackagesRequest request = ClaimKeyPackagesRequest.newBuilder().setUserId(laptop.userId())
        .setCipherSuite(SUITE.code()).setIdempotencyKey("claim-0123456789abcdef").build();

    ClaimKeyPackagesResponse first = fixture.claims.claim(laptop.principal(), request);
    ClaimKeyPackagesResponse retry = fixture.claims.claim(laptop.principal(), request);

    assertEquals(first, retry);
    assertFalse(first.getKeyPackages(0).getKept());
    assertEquals(4, fixture.count(phone));
    refused(ErrorReason.IDEMPOTENCY_KEY_REUSED, () -> fixture.claims.claim(laptop.principal(),
        request.toBuilder().addClientIds(phone.id()).build()));
  }

  private static ClaimedKeyPackage claimed(Client client, ByteString keyPackage, boolean kept) {
    return ClaimedKeyPackage.newBuilder().setClientId(client.id()).setKeyPackage(keyPackage).setKept(kept).build();
  }
}
