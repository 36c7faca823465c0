package org.homeserver.federation.discovery;

import java.net.InetAddress;
import java.util.Optional;
import org.homeserver.platform.net.AddressBlock;

/** The addresses a peer's DNS must not lead to unless the operator allows it: they reach into our own network. */
final class PrivateAddresses {
  private static final AddressBlock UNIQUE_LOCAL = AddressBlock.parse("fc00::/7");
  private static final AddressBlock CARRIER_GRADE_NAT = AddressBlock.parse("100.64.0.0/10");

  private PrivateAddresses() {}

  /** What kind of non-public address this is ("a loopback address"), or empty for a public one. */
  static Optional<String> kind(InetAddress address) {
    byte[] bytes = address.getAddress();
    if (address.isLoopbackAddress()) {
      return Optional.of("a loopback address");
    } else if (address.isAnyLocalAddress()) {
      return Optional.of("the unspecified (any-local) address");
    } else if (address.isLinkLocalAddress()) {
      return Optional.of("a link-local address");
    } else if (address.isSiteLocalAddress() || UNIQUE_LOCAL.contains(bytes)) {
      return Optional.of("a private address");
    } else if (CARRIER_GRADE_NAT.contains(bytes)) {
      return Optional.of("a carrier-grade NAT address");
    } else if (address.isMulticastAddress()) {
      return Optional.of("a multicast address");
    }
    return Optional.empty();
  }
}
