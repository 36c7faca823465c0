package org.homeserver.federation.outbox;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.federation.v1.Delivery;
import org.homeserver.api.federation.v1.DeliveryResult;
import io.grpc.Status;

/**
 * The peers across the network, as the outbox sees them through {@link PeerSender}: each applies a
 * batch in order as DeliverBatch does (after a retriable result the rest is ABORTED), answering
 * what the test told it per idempotency key, and records what it applied and whether two calls
 * ever carried the same entry at once.
 */
final class FakePeer implements PeerSender {
  private static final Set<Integer> RETRIABLE = Set.of(Status.Code.UNAVAILABLE.value(),
      Status.Code.DEADLINE_EXCEEDED.value(), Status.Code.INTERNAL.value(), Status.Code.RESOURCE_EXHAUSTED.value(),
      Status.Code.ABORTED.value());

  private final Map<String, List<String>> applied = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
  private final Map<String, DeliveryResult> answers = new ConcurrentHashMap<>();
  private final Set<String> unreachable = ConcurrentHashMap.newKeySet();
  private final Set<String> inProgress = ConcurrentHashMap.newKeySet();
  private final List<List<String>> batches = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger overlaps = new AtomicInteger();
  private volatile Consumer<List<String>> onCall = keys -> {};

  /** The peer answers the entry with this key so from now on (else OK). */
  void answer(String key, Status.Code code, ErrorReason reason, String message) {
    answers.put(key, DeliveryResult.newBuilder().setCode(code.value()).setReason(reason).setMessage(message).build());
  }

  void answerOk(String key) {
    answers.remove(key);
  }

  void unreachable(String destination, boolean down) {
    if (down) {
      unreachable.add(destination);
    } else {
      unreachable.remove(destination);
    }
  }

  /** Runs before each call is answered, with the call's keys (to hold a call, or make two meet). */
  void onCall(Consumer<List<String>> hook) {
    onCall = hook;
  }

  @Override
  public List<DeliveryResult> send(String destination, List<Delivery> batch) throws PeerUnreachableException {
    List<String> keys = batch.stream().map(Outbox::idempotencyKey).toList();
    batches.add(keys);
    for (String key : keys) {
      received.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      if (!inProgress.add(key)) {
        overlaps.incrementAndGet();
      }
    }
    try {
      onCall.accept(keys);
      if (unreachable.contains(destination)) {
        throw new PeerUnreachableException("UNAVAILABLE: connection refused");
      }
      List<DeliveryResult> results = new ArrayList<>();
      boolean stopped = false;
      for (String key : keys) {
        DeliveryResult result = stopped ? DeliveryResult.newBuilder().setCode(Status.Code.ABORTED.value()).build()
            : answers.getOrDefault(key, DeliveryResult.getDefaultInstance());
        if (!stopped && result.getCode() == 0) {
          applied.computeIfAbsent(destination, d -> Collections.synchronizedList(new ArrayList<>())).add(key);
        }
        stopped |= RETRIABLE.contains(result.getCode());
        results.add(result);
      }
      return results;
    } finally {
      keys.forEach(inProgress::remove);
    }
  }

  /** The keys the destination applied, in the order it applied them. */
  List<String> applied(String destination) {
    List<String> keys = applied.getOrDefault(destination, List.of());
    synchronized (keys) {
      return List.copyOf(keys);
    }
  }

  /** How many calls carried the entry with this key. */
  int received(String key) {
    AtomicInteger count = received.get(key);
    return count == null ? 0 : count.get();
  }

  /** The keys of each call, in the order the calls came. */
  List<List<String>> batches() {
    synchronized (batches) {
      return List.copyOf(batches);
    }
  }

  /** How often a call carried an entry another call was carrying at the same time. */
  int overlaps() {
    return overlaps.get();
  }
}
