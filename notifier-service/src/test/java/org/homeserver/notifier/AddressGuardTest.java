package org.homeserver.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Endpoints may only point at public addresses, over https (loopback http only when allowed). */
class AddressGuardTest {
  private final AddressGuard strict = new AddressGuard(false);
  private final AddressGuard forTests = new AddressGuard(true);

  private static AddressGuard.Rule rule(AddressGuard guard, String url) {
    AddressGuard.Refusal refusal = guard.check(URI.create(url));
    return refusal == null ? null : refusal.rule();
  }

  @Test
  void nonPublicAddressesAreRefused() {
    for (String host : List.of("127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "198.18.0.1", "[::1]", "[fe80::1]", "[fd12:3456::1]", "[::ffff:10.0.0.1]")) {
      assertEquals(AddressGuard.Rule.ADDRESS_NOT_ALLOWED, rule(strict, "https://" + host + "/push"), host);
    }
  }

  @Test
  void publicAddressesOverHttpsPass() {
    for (String host : List.of("8.8.8.8", "203.0.113.7", "[2001:db8::1]", "100.128.0.1")) {
      assertNull(rule(strict, "https://" + host + "/push"), host);
    }
  }

  @Test
  void httpOnlyOnLoopbackAndOnlyWhenAllowed() {
    assertEquals(AddressGuard.Rule.HTTPS_REQUIRED, rule(strict, "http://127.0.0.1:8080/push"));
    assertNull(rule(forTests, "http://127.0.0.1:8080/push"));
    assertEquals(AddressGuard.Rule.HTTPS_REQUIRED, rule(forTests, "http://8.8.8.8/push"));
    assertEquals(AddressGuard.Rule.ADDRESS_NOT_ALLOWED, rule(forTests, "https://10.0.0.1/push"),
        "the test setting lets loopback in, not private networks");
  }

  @Test
  void malformedAndUnresolvableUrlsAreRefused() {
    assertEquals(AddressGuard.Rule.MALFORMED, rule(strict, "https://user:secret@8.8.8.8/push"));
    assertEquals(AddressGuard.Rule.MALFORMED, rule(strict, "https://8.8.8.8/push#fragment"));
    assertEquals(AddressGuard.Rule.MALFORMED, rule(strict, "/relative"));
    assertEquals(AddressGuard.Rule.UNRESOLVABLE, rule(strict, "https://no-such-host.invalid/push"));
  }
}
