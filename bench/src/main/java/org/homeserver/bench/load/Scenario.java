package org.homeserver.bench.load;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/** The runs the load generator knows, each with the sizes it uses unless told otherwise. */
public enum Scenario {
  /** 1:1 chats: groups of two, every client sending to its partner. */
  ONE_TO_ONE("one-to-one", 1_000, 2, 1_000),
  /** One large group with a few senders; every message fans out to every other member. */
  BIG_GROUP("big-group", 1_000, 1_000, 10),
  /** Clients that only hold a Listen stream open: the server's heap per idle stream. */
  IDLE_LISTEN("idle-listen", 10_000, 0, 0),
  /** Clients that publish and claim KeyPackages: publish latency, claims per second. Clients are the claimers. */
  KEY_PACKAGES("key-packages", 100, 0, 0),
  /** One group of every client, none listening, each with a Web Push endpoint: the notifier's pushes per second. */
  PUSHES("pushes", 200, Integer.MAX_VALUE, 4),
  /** One group of every client; its members commit with an UpdatePath one after another: a commit's cost. */
  COMMITS("commits", 1_000, Integer.MAX_VALUE, 1),
  /**
   * 1:1 chats between clients of two federating homeservers, each group hosted by one of them,
   * beside as many local chats; clients are those of the federated chats, senders one per chat (the
   * load generator sets their default).
   */
  FEDERATED_ONE_TO_ONE("federated-one-to-one", 100, 2, 0);

  final String label;
  final int defaultClients;
  /** 0: no groups; more than the run's clients: one group of them all. */
  final int defaultGroupSize;
  final int defaultSenders;

  Scenario(String label, int defaultClients, int defaultGroupSize, int defaultSenders) {
    this.label = label;
    this.defaultClients = defaultClients;
    this.defaultGroupSize = defaultGroupSize;
    this.defaultSenders = defaultSenders;
  }

  /** Whether the run sends application messages (and so compares with pgbench). */
  boolean sends() {
    return this == ONE_TO_ONE || this == BIG_GROUP;
  }

  /** Homeserver settings the run needs, under any the caller gives. */
  Map<String, String> serverSettings() {
    // The pushes go to a receiver on loopback over http, which the notifier refuses unless told.
    return this == PUSHES ? Map.of("notifier.allow-loopback-endpoints", "true") : Map.of();
  }

  static Scenario named(String label) {
    return Arrays.stream(values()).filter(s -> s.label.equals(label)).findFirst().orElseThrow(() ->
        new IllegalArgumentException("unknown scenario " + label + "; one of " + labels()));
  }

  static String labels() {
    return Arrays.stream(values()).map(s -> s.label).collect(Collectors.joining(", "));
  }
}
