package org.homeserver.notifier;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Which hosts the notifier may send to: public addresses only, so an endpoint cannot make it reach
 * into the operator's network. Loopback is allowed only when the operator says so (tests). Checked
 * at registration and again before every push, since a name may resolve elsewhere later.
 */
public final class AddressGuard {
  private final boolean allowLoopback;

  public AddressGuard(boolean allowLoopback) {
    this.allowLoopback = allowLoopback;
  }

  /** Why {@code url} may not be used, or null: https (or loopback http when allowed), a public host. */
  public Refusal check(URI url) {
    if (!url.isAbsolute() || url.getHost() == null || url.getRawUserInfo() != null || url.getRawFragment() != null) {
      return new Refusal(Rule.MALFORMED, "an absolute URL without user info or fragment is needed");
    }
    boolean https = "https".equalsIgnoreCase(url.getScheme());
    if (!https && !(allowLoopback && "http".equalsIgnoreCase(url.getScheme()))) {
      return new Refusal(Rule.HTTPS_REQUIRED, "endpoints must be https:// URLs");
    }
    List<InetAddress> addresses;
    try {
      addresses = List.of(InetAddress.getAllByName(url.getHost()));
    } catch (UnknownHostException e) {
      return new Refusal(Rule.UNRESOLVABLE, "host " + url.getHost() + " does not resolve");
    }
    if (!https && !addresses.stream().allMatch(InetAddress::isLoopbackAddress)) {
      return new Refusal(Rule.HTTPS_REQUIRED, "endpoints must be https:// URLs (http only on loopback, for tests)");
    }
    for (InetAddress address : addresses) {
      if (!(allowLoopback && address.isLoopbackAddress()) && !isPublic(address)) {
        return new Refusal(Rule.ADDRESS_NOT_ALLOWED, "host " + url.getHost() + " resolves to " + address.getHostAddress()
            + ", which is not a public address");
      }
    }
    return null;
  }

  /** Not loopback, private, link-local, multicast, unspecified, shared (100.64/10) or unique-local. */
  static boolean isPublic(InetAddress address) {
    if (address.isLoopbackAddress() || address.isSiteLocalAddress() || address.isLinkLocalAddress()
        || address.isAnyLocalAddress() || address.isMulticastAddress()) {
      return false;
    }
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address) {
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      return first != 0 && !(first == 100 && second >= 64 && second < 128) && !(first == 192 && second == 0 && b[2] == 0)
          && !(first == 198 && (second == 18 || second == 19)) && first < 224;
    }
    if (address instanceof Inet6Address) {
      return (b[0] & 0xfe) != 0xfc;   // fc00::/7 unique local
    }
    return false;
  }

  /** Why an address was refused. */
  public enum Rule { MALFORMED, HTTPS_REQUIRED, UNRESOLVABLE, ADDRESS_NOT_ALLOWED }

  public record Refusal(Rule rule, String detail) {}
}
