package org.homeserver.keypackage;

import static org.homeserver.keypackage.StoreFixture.SUITE;
import static org.homeserver.keypackage.StoreFixture.THRESHOLD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.homeserver.api.delivery.v1.KeyPackagesLow;
import org.homeserver.keypackage.StoreFixture.Client;
import org.homeserver.keypackage.StoreFixture.Sent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LowStockTest {
  private final StoreFixture fixture = StoreFixture.start();

  @AfterEach
  void close() {
    fixture.close();
  }

  @Test
  void aClaimThatLeavesFewerThanTheThresholdSendsOneEventUntilTheNextPublish() {
    Client phone = fixture.register("alice");
    Client laptop = fixture.register("alice");
    fixture.publish(phone, fixture.keyPackages(phone, THRESHOLD + 2));

    fixture.claim(laptop);
    fixture.claim(laptop);
    assertEquals(List.of(), fixture.sent, "still " + THRESHOLD + " left");
    fixture.claim(laptop);
    fixture.claim(laptop);
    fixture.claim(laptop);

    assertEquals(1, fixture.sent.size());
    Sent first = fixture.sent.getFirst();
    assertEquals(phone.id(), first.clientId());
    assertEquals(KeyPackagesLow.newBuilder().setCipherSuite(SUITE.code()).setCount(THRESHOLD - 1)
        .setThreshold(THRESHOLD).build(), first.event());
    assertTrue(first.idempotencyKey().matches("[A-Za-z0-9_-]{16,64}"), first.idempotencyKey());

    fixture.publish(phone, fixture.keyPackages(phone, THRESHOLD));
    fixture.claim(laptop);
    fixture.claim(laptop);

    assertEquals(2, fixture.sent.size());
    assertNotEquals(first.idempotencyKey(), fixture.sent.get(1).idempotencyKey());
  }

  @Test
  void aClientWithOnlyItsLastResortKeyPackageIsToldOnce() {
    Client phone = fixture.register("alice");
    Client laptop = fixture.register("alice");
    fixture.publish(phone, List.of(fixture.lastResort(phone, SUITE)));

    fixture.claim(laptop);
    fixture.claim(laptop);

    assertEquals(1, fixture.sent.size());
    assertEquals(0, fixture.sent.getFirst().event().getCount());
  }

  @Test
  void theEventKeyNamesTheClientSuiteAndPublish() {
    String client = "mimi://example.org/c/alice/0f8fad5b-d9cb-469f-a165-70867728950e";

    assertEquals(Claims.lowStockKey(client, 1, 3), Claims.lowStockKey(client, 1, 3));
    assertNotEquals(Claims.lowStockKey(client, 1, 3), Claims.lowStockKey(client, 1, 4));
    assertNotEquals(Claims.lowStockKey(client, 1, 3), Claims.lowStockKey(client, 3, 3));
  }
}
