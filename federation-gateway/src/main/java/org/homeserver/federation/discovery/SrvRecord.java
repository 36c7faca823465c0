package org.homeserver.federation.discovery;

/** One DNS SRV record (RFC 2782): where a service is, its rank among the others, and how long it may be kept. */
record SrvRecord(int priority, int weight, int port, String target, long ttlSeconds) {

  /** The target as a host name to look up: without the root's trailing dot. */
  String host() {
    return target.endsWith(".") ? target.substring(0, target.length() - 1) : target;
  }

  /** RFC 2782: a lone record whose target is "." says the service is decidedly not available here. */
  boolean saysNoService() {
    return target.equals(".");
  }

  /** The record as a zone file writes it, for the steps an operator reads. */
  @Override
  public String toString() {
    return priority + " " + weight + " " + port + " " + target;
  }
}
