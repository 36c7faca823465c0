package org.homeserver.federation.discovery;

import java.util.Locale;
import java.util.regex.Pattern;

/** The one spelling of a peer domain discovery keys its table and cache by: lower case, no trailing dot. */
final class Domains {
  private static final Pattern NAME = Pattern.compile(
      "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

  private Domains() {}

  /** The domain normalized; IllegalArgumentException if it is not a host name. */
  static String normalize(String domain) {
    String name = domain.toLowerCase(Locale.ROOT);
    name = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    if (name.length() > 253 || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not a domain name: " + domain);
    }
    return name;
  }
}
