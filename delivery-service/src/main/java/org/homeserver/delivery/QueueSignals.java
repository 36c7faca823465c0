package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.homeserver.platform.signal.Signals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The "look again" signals of what clients read, published only after what they announce is
 * committed, so a listener that reads on a signal finds it; a missed signal loses nothing (it is
 * in PostgreSQL), it only delays a live delivery until the next one. Two kinds of channel:
 * <ul>
 *   <li>{@code queue.<client uuid>}: the highest sequence queued in the client's own queue
 *       (decimal); {@code ack:N} and {@code ackg:<group hex>:N} when the client acknowledged (so a
 *       Listen stream waiting for acks on another process goes on); {@code groups} when it became
 *       a reader of a group;
 *   <li>{@value #GROUPS}, heard by every process: {@code <group hex>:N} when a group's log reaches N.
 *       One signal per message whatever the group's size; each process hands it to the streams of
 *       that group's readers it holds.
 * </ul>
 */
public final class QueueSignals {
  static final String GROUPS = "delivery.groups";
  private static final Logger log = LoggerFactory.getLogger(QueueSignals.class);
  private static final String ACK = "ack:";
  private static final String GROUP_ACK = "ackg:";
  private static final String JOINED = "groups";
  private static final HexFormat HEX = HexFormat.of();
  private final Signals signals;

  public QueueSignals(Signals signals) {
    this.signals = signals;
  }

  public static String channel(UUID client) {
    return "queue." + client;
  }

  /** What one client's channel says; as a lambda, what its own queue reaches. */
  @FunctionalInterface
  public interface ClientListener {
    /** Its own queue reaches {@code sequence}. */
    void queued(long sequence);

    /** It acknowledged its own queue up to {@code upTo}. */
    default void acked(long upTo) {}

    /** It acknowledged the group's log up to {@code upTo}. */
    default void acked(ByteString group, long upTo) {}

    /** It became a reader of a group. */
    default void joined() {}
  }

  /** What a committed transaction made visible, to every process. */
  void published(Publisher.Published published) {
    for (Queues.Queued q : published.queued()) {
      publish(channel(q.client()), Long.toString(q.entry().getSequence()));
    }
    published.message().ifPresent(m -> publish(GROUPS, HEX.formatHex(m.entry().groupId()) + ":" + m.entry().sequence()));
    for (UUID client : published.joined()) {
      publish(channel(client), JOINED);
    }
  }

  /** Tells each client's listeners that its own queue now reaches the position's sequence. */
  void queued(List<Enqueued.Position> positions) {
    for (Enqueued.Position p : positions) {
      publish(channel(p.client()), Long.toString(p.sequence()));
    }
  }

  /** Tells {@code client}'s listeners what it acknowledged. */
  void acked(UUID client, Queues.Acknowledged acked) {
    if (acked.ownUpTo() > 0) {
      publish(channel(client), ACK + acked.ownUpTo());
    }
    acked.groups().forEach((group, upTo) -> publish(channel(client),
        GROUP_ACK + HEX.formatHex(group.toByteArray()) + ":" + upTo));
  }

  private void publish(String channel, String text) {
    try {
      signals.publish(channel, text.getBytes(StandardCharsets.US_ASCII));
    } catch (RuntimeException e) {
      // What it announces is committed; failing the caller now would only make it retry.
      log.warn("signal on {} not sent", channel, e);
    }
  }

  /** Calls {@code listener} with each signal of {@code client}'s channel. */
  public Signals.Subscription subscribe(UUID client, ClientListener listener) {
    return signals.subscribe(channel(client), message -> {
      String text = new String(message, StandardCharsets.US_ASCII);
      try {
        if (text.equals(JOINED)) {
          listener.joined();
        } else if (text.startsWith(GROUP_ACK)) {
          int colon = text.lastIndexOf(':');
          listener.acked(ByteString.copyFrom(HEX.parseHex(text, GROUP_ACK.length(), colon)),
              Long.parseLong(text.substring(colon + 1)));
        } else if (text.startsWith(ACK)) {
          listener.acked(Long.parseLong(text.substring(ACK.length())));
        } else {
          listener.queued(Long.parseLong(text));
        }
      } catch (IllegalArgumentException e) {
        log.warn("malformed queue signal for client {}", client);
      }
    });
  }

  /** A group's log reached a sequence. */
  public interface GroupListener {
    void reached(ByteString group, long sequence);
  }

  /** Calls {@code listener} for every group message any process accepts. */
  public Signals.Subscription subscribeGroups(GroupListener listener) {
    return signals.subscribe(GROUPS, message -> {
      String text = new String(message, StandardCharsets.US_ASCII);
      int colon = text.indexOf(':');
      try {
        listener.reached(ByteString.copyFrom(HEX.parseHex(text, 0, colon)), Long.parseLong(text.substring(colon + 1)));
      } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
        log.warn("malformed group signal");
      }
    });
  }
}
