package org.homeserver.delivery;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * What happens after a transaction that accepted something has committed, in this order: this
 * process's Listen streams take it from memory, the other processes are signalled, and the
 * notifier is handed the notifications. Nothing registers itself here: the composition root
 * ({@link DeliveryModule}) passes the three parts in.
 */
public final class Publisher {
  private final ListenStreams streams;
  private final QueueSignals signals;
  private final NotifierHandoff notifier;

  Publisher(ListenStreams streams, QueueSignals signals, NotifierHandoff notifier) {
    this.streams = streams;
    this.signals = signals;
    this.notifier = notifier;
  }

  /** A message appended to a group's log, with the readers it is for (every reader but its sender). */
  public record LogMessage(GroupLogStore.LogEntry entry, List<GroupLogStore.Reader> recipients, boolean wake) {}

  /**
   * What one transaction made visible: a log message, entries queued in clients' own queues, and the
   * clients that became readers of a group (to read it from now on).
   */
  public record Published(Optional<LogMessage> message, List<Queues.Queued> queued, List<UUID> joined) {
    public static final Published NOTHING = new Published(Optional.empty(), List.of(), List.of());

    public Published {
      queued = List.copyOf(queued);
      joined = List.copyOf(joined);
    }

    /** Entries queued in clients' own queues only. */
    public static Published queued(List<Queues.Queued> queued) {
      return new Published(Optional.empty(), queued, List.of());
    }

    boolean isEmpty() {
      return message.isEmpty() && queued.isEmpty() && joined.isEmpty();
    }
  }

  /** Publishes what a committed transaction made visible. */
  public void publish(Published published) {
    if (published.isEmpty()) {
      return;
    }
    streams.take(published);
    signals.published(published);
    notifier.handOff(published);
  }

  /** Tells the other processes, and this one's streams, that {@code client} acknowledged. */
  void acknowledged(UUID client, Queues.Acknowledged acked) {
    streams.acknowledged(client, acked);
    signals.acked(client, acked);
  }
}
