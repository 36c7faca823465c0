package org.homeserver.federation.discovery;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** A host's addresses from the system resolver, less the private ones unless federation.allow-private-addresses. */
record UsableAddresses(boolean allowPrivate) {

  /** The addresses of a host found in DNS, each refused or allowed with a step that says why. */
  List<InetAddress> of(String host, List<String> steps) {
    List<InetAddress> usable = new ArrayList<>();
    for (InetAddress address : lookUp(host, steps)) {
      Optional<String> kind = PrivateAddresses.kind(address);
      if (kind.isEmpty()) {
        usable.add(address);
      } else if (allowPrivate) {
        usable.add(address);
        steps.add(host + ": " + address.getHostAddress() + " allowed although " + kind.get()
            + " (federation.allow-private-addresses is on)");
      } else {
        steps.add(host + ": " + address.getHostAddress() + " refused: " + kind.get()
            + " (federation.allow-private-addresses is off)");
      }
    }
    if (!usable.isEmpty()) {
      steps.add(host + ": " + text(usable.stream()));
    }
    return usable;
  }

  /** The addresses of a host the operator wrote in the static table: all of them, private or not. */
  List<InetAddress> ofStaticHost(String host, List<String> steps) {
    List<InetAddress> found = lookUp(host, steps);
    if (!found.isEmpty()) {
      steps.add(host + ": " + text(found.stream()));
    }
    return found;
  }

  private static List<InetAddress> lookUp(String host, List<String> steps) {
    try {
      return List.of(InetAddress.getAllByName(host));
    } catch (UnknownHostException e) {
      steps.add(host + ": no address (the system resolver does not know the name)");
      return List.of();
    }
  }

  private static String text(Stream<InetAddress> addresses) {
    return addresses.map(InetAddress::getHostAddress).collect(Collectors.joining(", "));
  }
}
