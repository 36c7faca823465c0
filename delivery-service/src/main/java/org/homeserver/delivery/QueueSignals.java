package org.homeserver.delivery;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.function.LongConsumer;
import org.homeserver.platform.signal.Signals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The "look again" signals of a client's queue, on channel {@code queue.<client uuid>}: the highest
 * sequence number queued (decimal), or {@code ack:} and the sequence number acknowledged up to (so
 * a Listen stream waiting for acks on another process goes on). Published only after the entries are committed, so a
 * listener that fetches on the signal finds them; a missed signal loses nothing (the entries are in
 * PostgreSQL), it only delays a live delivery until the next one.
 */
public final class QueueSignals {
  private static final Logger log = LoggerFactory.getLogger(QueueSignals.class);
  private static final String ACK = "ack:";
  private final Signals signals;

  public QueueSignals(Signals signals) {
    this.signals = signals;
  }

  public static String channel(UUID client) {
    return "queue." + client;
  }

  /** Tells each client's listeners that its queue now reaches the position's sequence. */
  void queued(List<Enqueued.Position> positions) {
    for (Enqueued.Position p : positions) {
      try {
        signals.publish(channel(p.client()), Long.toString(p.sequence()).getBytes(StandardCharsets.US_ASCII));
      } catch (RuntimeException e) {
        // The entries are committed; failing the send now would only make the client retry it.
        log.warn("queue signal for client {} not sent", p.client(), e);
      }
    }
  }

  /** Tells {@code client}'s listeners that its entries up to {@code upTo} were acknowledged. */
  void acked(UUID client, long upTo) {
    try {
      signals.publish(channel(client), (ACK + upTo).getBytes(StandardCharsets.US_ASCII));
    } catch (RuntimeException e) {
      log.warn("ack signal for client {} not sent", client, e);
    }
  }

  /** Calls {@code onQueued} with the highest sequence queued for {@code client}, on each signal. */
  public Signals.Subscription subscribe(UUID client, LongConsumer onQueued) {
    return subscribe(client, onQueued, upTo -> { });
  }

  /** As {@link #subscribe(UUID, LongConsumer)}, and calls {@code onAcked} with each acknowledged sequence. */
  public Signals.Subscription subscribe(UUID client, LongConsumer onQueued, LongConsumer onAcked) {
    return signals.subscribe(channel(client), message -> {
      String text = new String(message, StandardCharsets.US_ASCII);
      try {
        if (text.startsWith(ACK)) {
          onAcked.accept(Long.parseLong(text.substring(ACK.length())));
        } else {
          onQueued.accept(Long.parseLong(text));
        }
      } catch (NumberFormatException e) {
        log.warn("malformed queue signal for client {}", client);
      }
    });
  }
}
