package org.homeserver.federation.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** PrivateAddresses: which addresses a peer's DNS may not lead to, and what each is called in the steps. */
class DiscoveryPrivateAddressesTest {

  @ParameterizedTest
  @CsvSource({
      "127.0.0.1, a loopback address",
      "::1, a loopback address",
      "0.0.0.0, the unspecified (any-local) address",
      "::, the unspecified (any-local) address",
      "10.1.2.3, a private address",
      "172.16.0.1, a private address",
      "172.31.255.255, a private address",
      "192.168.1.1, a private address",
      "fc00::1, a private address",
      "fd12:3456::1, a private address",
      "169.254.169.254, a link-local address",
      "fe80::1, a link-local address",
      "100.64.0.1, a carrier-grade NAT address",
      "100.127.255.255, a carrier-grade NAT address",
      "224.0.0.1, a multicast address",
      "ff02::1, a multicast address",
      "::ffff:10.0.0.1, a private address"})
  void nonPublicAddressIsNamed(String address, String kind) throws UnknownHostException {
    assertEquals(Optional.of(kind), PrivateAddresses.kind(InetAddress.getByName(address)));
  }

  @ParameterizedTest
  @CsvSource({"192.0.2.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "100.63.255.255", "2001:db8::1", "fbff::1"})
  void publicAddressIsAllowed(String address) throws UnknownHostException {
    assertEquals(Optional.empty(), PrivateAddresses.kind(InetAddress.getByName(address)));
  }
}
