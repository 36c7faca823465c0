package org.homeserver.bench.load;

/** How the senders pace their messages. */
public sealed interface Pacing {
  /**
   * Open loop: messages go out at a fixed total rate whatever the server does, and latency counts
   * from the time each message was due, so a server that falls behind shows it in the latency.
   */
  record Open(double messagesPerSecond) implements Pacing {}

  /** Closed loop: each sender sends its next message as soon as its previous Send returned. */
  record Closed() implements Pacing {}
}
