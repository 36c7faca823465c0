package org.homeserver.platform.net;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** An IP address or a CIDR block of them ({@code 10.0.0.0/8}, {@code 2001:db8::/32}, {@code 127.0.0.1}). */
public record AddressBlock(byte[] network, int prefixLength) {
  private static final Pattern LITERAL = Pattern.compile("[0-9A-Fa-f.:]+");

  /** Parses a literal address or block; IllegalArgumentException for anything else (no name lookups). */
  public static AddressBlock parse(String text) {
    int slash = text.indexOf('/');
    String address = slash < 0 ? text : text.substring(0, slash);
    byte[] bytes = literal(address);
    int prefix;
    try {
      prefix = slash < 0 ? bytes.length * 8 : Integer.parseInt(text.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a prefix length: " + text);
    }
    if (prefix < 0 || prefix > bytes.length * 8) {
      throw new IllegalArgumentException("prefix length out of range: " + text);
    }
    return new AddressBlock(bytes, prefix);
  }

  /** The bytes of a literal IPv4 or IPv6 address; IllegalArgumentException for anything else. */
  public static byte[] literal(String address) {
    if (!LITERAL.matcher(address).matches() || (!address.contains(":") && address.chars().filter(c -> c == '.').count() != 3)) {
      throw new IllegalArgumentException("not an IP address: " + address);
    }
    try {
      return InetAddress.getByName(address).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: " + address);
    }
  }

  /** True if {@code address} (raw bytes of an IPv4 or IPv6 address) lies in this block. */
  public boolean contains(byte[] address) {
    if (address.length != network.length) {
      return false;
    }
    int bits = network.length * 8;
    BigInteger mask = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE)
        .xor(BigInteger.ONE.shiftLeft(bits - prefixLength).subtract(BigInteger.ONE));
    return new BigInteger(1, address).and(mask).equals(new BigInteger(1, network).and(mask));
  }
}
