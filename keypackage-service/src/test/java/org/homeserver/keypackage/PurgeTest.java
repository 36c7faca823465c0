package org.homeserver.keypackage;

import static org.homeserver.keypackage.StoreFixture.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.keypackage.StoreFixture.Client;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PurgeTest {
  private final StoreFixture fixture = StoreFixture.start();

  @AfterEach
  void close() {
    fixture.close();
  }

  @Test
  void purgingAUserDeletesEveryClientOfItAndNoneOfAUserWhoseHandleLooksAlike() {
    Client phone = fixture.register("a_c");
    Client laptop = fixture.register("a_c");
    Client other = fixture.register("abc");
    Client longer = fixture.register("a_cd");
    for (Client client : new Client[] {phone, laptop, other, longer}) {
      fixture.publish(client, fixture.keyPackages(client, 2));
    }

    fixture.publishes.purgeUser(phone.userId());
    fixture.publishes.purgeUser(phone.userId());

    assertEquals(0, fixture.count(phone));
    assertEquals(0, fixture.count(laptop));
    assertEquals(2, fixture.count(other));
    assertEquals(2, fixture.count(longer));
    refused(ErrorReason.NO_KEY_PACKAGE, () -> fixture.claim(laptop, phone));
  }

  @Test
  void purgingAClientDeletesOnlyItsKeyPackages() {
    Client phone = fixture.register("alice");
    Client laptop = fixture.register("alice");
    fixture.publish(phone, fixture.keyPackages(phone, 2));
    fixture.publish(laptop, fixture.keyPackages(laptop, 3));

    fixture.publishes.purgeClient(phone.id());

    assertEquals(0, fixture.count(phone));
    assertEquals(3, fixture.count(laptop));
    refused(ErrorReason.INVALID_ARGUMENT, () -> fixture.publishes.purgeClient("alice"));
  }
}
