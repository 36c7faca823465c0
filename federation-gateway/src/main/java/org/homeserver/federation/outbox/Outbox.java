package org.homeserver.federation.outbox;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.homeserver.api.federation.v1.Delivery;
import org.homeserver.federation.outbox.OutboxStore.DestinationStatus;
import org.homeserver.platform.signal.Signals;

/**
 * The outbox as the rest of the gateway uses it: queue a delivery, reset a peer's backoff, read
 * the status of destinations. Each change is signalled on {@link OutboxWorker#CHANNEL} once it is
 * stored, so the workers of every process look at once.
 */
public final class Outbox {
  /** The lane of everything that is not a group's. */
  public static final String CONTROL_LANE = "control";

  private final OutboxStore store;
  private final Signals signals;
  private final Clock clock;

  public Outbox(OutboxStore store, Signals signals, Clock clock) {
    this.store = store;
    this.signals = signals;
    this.clock = clock;
  }

  /** The lane of a group's traffic: {@code group:} and the group id in lower-case hex. */
  public static String groupLane(byte[] groupId) {
    return "group:" + HexFormat.of().formatHex(groupId);
  }

  /**
   * Queues {@code delivery} for {@code destination} in {@code lane} ({@link #CONTROL_LANE} or a
   * {@link #groupLane}), under the idempotency key it carries, and wakes the workers; the entry's
   * id. The same key again queues nothing and returns the first entry's id.
   *
   * @throws IllegalArgumentException if the delivery has no kind or no idempotency key
   */
  /** Whether {@code lane} towards {@code destination} holds at least {@code entries} waiting entries. */
  public boolean laneHolds(String destination, String lane, int entries) {
    return store.holdsAtLeast(destination, lane, entries);
  }

  public long enqueue(String destination, String lane, Delivery delivery) {
    long id = store.enqueue(destination, lane, idempotencyKey(delivery), delivery, clock.instant().truncatedTo(ChronoUnit.MICROS));
    signals.publish(OutboxWorker.CHANNEL, destination.getBytes(StandardCharsets.UTF_8));
    return id;
  }

  /** The idempotency key the delivery's request carries (federation.proto, IDEMPOTENCY). */
  public static String idempotencyKey(Delivery delivery) {
    String key = switch (delivery.getKindCase()) {
      case CONNECTION_UPDATE -> delivery.getConnectionUpdate().getIdempotencyKey();
      case GROUP_MESSAGE -> delivery.getGroupMessage().getIdempotencyKey();
      case WELCOME -> delivery.getWelcome().getIdempotencyKey();
      case EVENT -> delivery.getEvent().getIdempotencyKey();
      case KIND_NOT_SET -> throw new IllegalArgumentException("a delivery needs a kind");
    };
    if (key.isEmpty()) {
      throw new IllegalArgumentException("a delivery needs an idempotency key");
    }
    return key;
  }

  /**
   * Forgets the backoff towards {@code domain}, makes everything waiting for it due now and wakes
   * the workers of every process; how many entries wait for it.
   */
  public long resetBackoff(String domain) {
    long depth = store.resetBackoff(domain, clock.instant().truncatedTo(ChronoUnit.MICROS));
    signals.publish(OutboxWorker.CHANNEL, domain.getBytes(StandardCharsets.UTF_8));
    return depth;
  }

  /**
   * A peer reached us with an authenticated call: if the outbox was backing off from it, the
   * backoff ends now and what waits for it is sent at once (federation.proto, DELIVERY AND RETRIES).
   */
  public void reached(String domain) {
    if (store.backingOff(domain)) {
      resetBackoff(domain);
    }
  }

  /** Every destination the outbox knows of (a peer's state, waiting or set-aside entries), in domain order. */
  public List<String> destinations() {
    List<String> all = new ArrayList<>();
    for (List<String> page = store.destinations("", 1000); !page.isEmpty();
         page = store.destinations(page.getLast(), 1000)) {
      all.addAll(page);
    }
    return all;
  }

  /** The outbox's status of each of {@code domains}, in the order given (ListPeers). */
  public Map<String, DestinationStatus> status(Collection<String> domains) {
    return store.status(domains);
  }
}
