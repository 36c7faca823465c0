package org.homeserver.bench.load;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.api.delivery.v1.SendResponse;

/**
 * The sending clients of a run and their application messages, paced open or closed loop
 * ({@link Pacing}), each stamped with its send time: in the open loop the time it was due, so that
 * a Send the generator had to hold back still counts its wait, in the closed loop the time it went.
 */
final class Senders {
  /** Open loop: at most this many Sends in flight; past it the generator waits, and the wait shows as latency. */
  static final int MAX_IN_FLIGHT = 10_000;
  private static final long SEND_DEADLINE_SECONDS = 60;
  private static final long FAILURE_PAUSE_MILLIS = 10;

  /** A sending client and the group it sends to. */
  record Sender(SimulatedClient client, BenchGroup group) {}

  /** When the senders stop, and what they count: a window of a {@link Measurement}, or a number of messages. */
  interface Tally {
    /** Whether to send the run's {@code n}th message (from 0), due or starting at {@code time} (System.nanoTime). */
    boolean sends(long n, long time);

    /** The server accepted the message stamped {@code sentAt}. */
    void accepted(long sentAt);

    void failed(long sentAt, Throwable error);
  }

  private final List<Sender> senders;
  private final int messageBytes;

  Senders(List<Sender> senders, int messageBytes) {
    this.senders = List.copyOf(senders);
    this.messageBytes = messageBytes;
  }

  /**
   * {@code count} senders spread over the groups round-robin: the first member of each group, then
   * the second of each, and so on, so every group has a sender before any has two.
   */
  static List<Sender> choose(List<BenchGroup> groups, int count) {
    List<Sender> chosen = new ArrayList<>(count);
    for (int i = 0; chosen.size() < count; i++) {
      BenchGroup group = groups.get(i % groups.size());
      chosen.add(new Sender(group.members().get(i / groups.size()), group));
    }
    return chosen;
  }

  /** Sends as long as {@code tally} says, then waits for the Sends still in flight. */
  void run(Pacing pacing, Tally tally) throws InterruptedException {
    switch (pacing) {
      case Pacing.Open(double rate) -> openLoop(rate, tally);
      case Pacing.Closed() -> closedLoop(tally);
    }
  }

  /** One pacing thread fires Sends at {@code rate} in all, to the senders in turn, without waiting for answers. */
  private void openLoop(double rate, Tally tally) throws InterruptedException {
    Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    long start = System.nanoTime();
    for (long n = 0; ; n++) {
      long due = start + (long) (n * 1e9 / rate);
      if (!tally.sends(n, due)) {
        break;
      }
      for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
        LockSupport.parkNanos(wait);
      }
      inFlight.acquire();
      Sender sender = senders.get((int) (n % senders.size()));
      sender.client().deliveryAsync().withDeadlineAfter(SEND_DEADLINE_SECONDS, TimeUnit.SECONDS)
          .send(request(sender, due, n), new StreamObserver<>() {
            @Override
            public void onNext(SendResponse response) {
              tally.accepted(due);
            }

            @Override
            public void onError(Throwable t) {
              tally.failed(due, t);
              inFlight.release();
            }

            @Override
            public void onCompleted() {
              inFlight.release();
            }
          });
    }
    inFlight.acquire(MAX_IN_FLIGHT);
  }

  /** A virtual thread per sender, each sending again as soon as its Send returned; the messages numbered in turn. */
  private void closedLoop(Tally tally) {
    AtomicLong numbers = new AtomicLong();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Sender sender : senders) {
        threads.submit(() -> sendInTurn(sender, tally, numbers));
      }
    }
  }

  private Void sendInTurn(Sender sender, Tally tally, AtomicLong numbers) throws InterruptedException {
    while (true) {
      long sentAt = System.nanoTime();
      long n = numbers.getAndIncrement();
      if (!tally.sends(n, sentAt)) {
        return null;
      }
      try {
        sender.client().delivery().withDeadlineAfter(SEND_DEADLINE_SECONDS, TimeUnit.SECONDS)
            .send(request(sender, sentAt, n));
        tally.accepted(sentAt);
      } catch (RuntimeException e) {
        tally.failed(sentAt, e);
        // A server refusing everything would otherwise be asked again at once, as fast as it refuses.
        Thread.sleep(FAILURE_PAUSE_MILLIS);
      }
    }
  }

  private SendRequest request(Sender sender, long sentAt, long n) {
    BenchGroup group = sender.group();
    return SendRequest.newBuilder()
        .setMlsMessage(ByteString.copyFrom(TimedMessage.encode(group.groupId(), group.epoch(), messageBytes, sentAt)))
        .setIdempotencyKey(String.format("load-%06d-%012d", sender.client().index(), n))
        .build();
  }
}
