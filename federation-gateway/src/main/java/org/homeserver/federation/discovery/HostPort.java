package org.homeserver.federation.discovery;

/** A host and port as the configuration writes them: "host:port", "1.2.3.4:53" or "[::1]:53". */
record HostPort(String host, int port) {

  static HostPort parse(String text) {
    int colon = text.lastIndexOf(':');
    if (colon < 1) {
      throw new IllegalArgumentException("not host:port: " + text);
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return new HostPort(host, Integer.parseInt(text.substring(colon + 1)));
  }
}
