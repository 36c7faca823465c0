package org.homeserver.delivery;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.function.LongConsumer;
import org.homeserver.platform.signal.Signals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The "look again" signal of a client's queue, on channel {@code queue.<client uuid>}, carrying the
 * highest sequence number queued (decimal). Published only after the entries are committed, so a
 * listener that fetches on the signal finds them; a missed signal loses nothing (the entries are in
 * PostgreSQL), it only delays a live delivery until the next one.
 */
public final class QueueSignals {
  private static final Logger log = LoggerFactory.getLogger(QueueSignals.class);
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

  /** Calls {@code onQueued} with the highest sequence queued for {@code client}, on each signal. */
  public Signals.Subscription subscribe(UUID client, LongConsumer onQueued) {
    return signals.subscribe(channel(client), message -> {
      try {
        onQueued.accept(Long.parseLong(new String(message, StandardCharsets.US_ASCII)));
      } catch (NumberFormatException e) {
        log.warn("malformed queue signal for client {}", client);
      }
    });
  }
}
