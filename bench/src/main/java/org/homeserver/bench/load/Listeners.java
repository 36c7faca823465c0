package org.homeserver.bench.load;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import com.google.protobuf.ByteString;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.homeserver.api.delivery.v1.AckRequest;
import org.homeserver.api.delivery.v1.GroupPosition;
import org.homeserver.api.delivery.v1.AckResponse;
import org.homeserver.api.delivery.v1.ListenRequest;
import org.homeserver.api.delivery.v1.ListenResponse;
import org.homeserver.api.delivery.v1.QueueEntry;

/**
 * One Listen stream per client, held as a client holds it: it counts what arrives, hands the send
 * time of each message to the current {@link Measurement}, and acknowledges entries with Ack, after
 * every {@link #ACK_EVERY} entries and otherwise within {@link #ACK_DELAY}, so the stream's
 * {@link #MAX_UNACKED} never holds it back.
 */
final class Listeners implements AutoCloseable {
  static final int MAX_UNACKED = 1_000;
  static final int ACK_EVERY = MAX_UNACKED / 4;
  static final Duration ACK_DELAY = Duration.ofSeconds(1);
  static final int ACK_SLICES = 20;

  private final List<Listener> listeners = new ArrayList<>();
  private final CountDownLatch backlogsDone;
  private final AtomicReference<Measurement> measurement = new AtomicReference<>();
  private final LongAdder entries = new LongAdder();
  private final LongAdder welcomes = new LongAdder();
  private final LongAdder ackFailures = new LongAdder();
  private final Map<Status.Code, LongAdder> ended = new ConcurrentHashMap<>();
  private final ScheduledExecutorService acks = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("acks").daemon().factory());

  /** Opens a Listen stream for each client. */
  Listeners(List<SimulatedClient> clients) {
    backlogsDone = new CountDownLatch(clients.size());
    for (SimulatedClient client : clients) {
      Listener listener = new Listener(client);
      listeners.add(listener);
      client.deliveryAsync().listen(ListenRequest.newBuilder().setMaxUnacked(MAX_UNACKED).build(), listener);
    }
    // Each client acks once per ACK_DELAY, the clients spread over it in ACK_SLICES turns, as a
    // population of independent clients would be, not all in the same instant.
    AtomicLong turn = new AtomicLong();
    acks.scheduleWithFixedDelay(() -> {
      int slice = (int) (turn.getAndIncrement() % ACK_SLICES);
      for (int i = slice; i < listeners.size(); i += ACK_SLICES) {
        listeners.get(i).ackIfBehind();
      }
    }, ACK_DELAY.toMillis() / ACK_SLICES, ACK_DELAY.toMillis() / ACK_SLICES, TimeUnit.MILLISECONDS);
  }

  /** Whether every stream got through its backlog (its QueueEmpty) within {@code timeout}. */
  boolean awaitBacklogs(Duration timeout) throws InterruptedException {
    return backlogsDone.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  long backlogsPending() {
    return backlogsDone.getCount();
  }

  /** From now on, messages are counted and timed for {@code m}. */
  void measureInto(Measurement m) {
    measurement.set(m);
  }

  /** Every queue entry received so far, of any kind. */
  long entries() {
    return entries.sum();
  }

  /** Welcomes received so far: a member of another homeserver's group can send once its own has it. */
  long welcomes() {
    return welcomes.sum();
  }

  /** Acks the server refused or that failed on the way. */
  long ackFailures() {
    return ackFailures.sum();
  }

  /** How many streams ended, by status; the server should end none during a run. */
  Map<Status.Code, Long> ended() {
    Map<Status.Code, Long> counts = new TreeMap<>();
    ended.forEach((code, count) -> counts.put(code, count.sum()));
    return counts;
  }

  @Override
  public void close() {
    acks.shutdownNow();
    listeners.forEach(Listener::cancel);
  }

  /** The stream of one client. Entries of one stream arrive one at a time, in sequence order. */
  private final class Listener implements ClientResponseObserver<ListenRequest, ListenResponse> {
    private final SimulatedClient client;
    /** The highest position received in the own queue and in each group, and entries since the last Ack. */
    private final AtomicLong received = new AtomicLong();
    private final Map<ByteString, Long> receivedInGroups = new ConcurrentHashMap<>();
    private final AtomicLong unacked = new AtomicLong();
    private final AtomicBoolean acking = new AtomicBoolean();
    private final AtomicBoolean backlogDone = new AtomicBoolean();
    private volatile ClientCallStreamObserver<ListenRequest> call;
    private volatile boolean closing;

    Listener(SimulatedClient client) {
      this.client = client;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ListenRequest> requestStream) {
      call = requestStream;
    }

    @Override
    public void onNext(ListenResponse response) {
      switch (response.getItemCase()) {
        case ENTRY -> onEntry(response.getEntry());
        case QUEUE_EMPTY -> backlogDone();
        case KEEP_ALIVE, ITEM_NOT_SET -> { }
      }
    }

    private void onEntry(QueueEntry entry) {
      long now = System.nanoTime();
      entries.increment();
      if (entry.hasWelcome()) {
        welcomes.increment();
      }
      Measurement m = measurement.get();
      if (m != null && entry.hasMessage()) {
        TimedMessage.sentAt(entry.getMessage().getMlsMessage().toByteArray())
            .ifPresent(sentAt -> m.delivered(sentAt, now));
      }
      if (entry.hasMessage()) {
        receivedInGroups.merge(entry.getMessage().getGroupId(), entry.getSequence(), Math::max);
      } else {
        received.accumulateAndGet(entry.getSequence(), Math::max);
      }
      if (unacked.incrementAndGet() >= ACK_EVERY) {
        ack();
      }
    }

    /** Counted once, at the QueueEmpty or when the stream ends before it. */
    private void backlogDone() {
      if (backlogDone.compareAndSet(false, true)) {
        backlogsDone.countDown();
      }
    }

    void ackIfBehind() {
      if (unacked.get() > 0) {
        ack();
      }
    }

    /** One Ack in flight at a time, for the highest positions received when it starts. */
    private void ack() {
      if (!acking.compareAndSet(false, true)) {
        return;
      }
      unacked.set(0);
      AckRequest.Builder request = AckRequest.newBuilder().setUpToSequence(received.get());
      receivedInGroups.forEach((group, upTo) -> request.addGroups(
          GroupPosition.newBuilder().setGroupId(group).setUpToSequence(upTo)));
      client.deliveryAsync().ack(request.build(), new StreamObserver<>() {
        @Override
        public void onNext(AckResponse response) {
        }

        @Override
        public void onError(Throwable t) {
          ackFailures.increment();
          acking.set(false);
        }

        @Override
        public void onCompleted() {
          acking.set(false);
        }
      });
    }

    @Override
    public void onError(Throwable t) {
      backlogDone();
      if (!closing) {
        ended.computeIfAbsent(Status.fromThrowable(t).getCode(), c -> new LongAdder()).increment();
      }
    }

    @Override
    public void onCompleted() {
      backlogDone();
      if (!closing) {
        ended.computeIfAbsent(Status.Code.OK, c -> new LongAdder()).increment();
      }
    }

    void cancel() {
      closing = true;
      if (call != null) {
        call.cancel("the run is over", null);
      }
    }
  }
}
