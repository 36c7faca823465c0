package org.homeserver.launcher;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.AckRequest;
import org.homeserver.api.delivery.v1.DeliveryServiceGrpc;
import org.homeserver.api.delivery.v1.ListenRequest;
import org.homeserver.api.delivery.v1.ListenResponse;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.platform.grpc.BearerTokens;
import org.homeserver.platform.grpc.ErrorStatus;

/**
 * A client reading its queue over Listen as an app does: it acknowledges as it goes, reconnects
 * after a stream ends (to the next of its homeserver's processes, as a load balancer would), takes
 * over its own stream when asked, and records every entry by sequence number. A status that no
 * client should ever see (INTERNAL, or anything not documented for what it did) is kept in
 * {@link #unexpected}.
 */
final class QueueReader implements AutoCloseable {
  private static final int ACK_EVERY = 10;

  final TestMember member;
  /** Failures no client should see, with what was being done. */
  final Queue<String> unexpected = new ConcurrentLinkedQueue<>();
  private final List<Channel> processes;
  private final Map<Long, QueueEntry> bySequence = new ConcurrentHashMap<>();
  private final Map<Long, Long> receivedAtNanos = new ConcurrentHashMap<>();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong highest = new AtomicLong();
  private final AtomicInteger stream = new AtomicInteger();
  private final AtomicInteger reconnects = new AtomicInteger();
  private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();
  private final ScheduledExecutorService later =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().factory());
  private volatile Context.CancellableContext current;
  private volatile boolean closed;

  QueueReader(TestMember member, List<Channel> processes) {
    this.member = member;
    this.processes = List.copyOf(processes);
  }

  /** Starts listening on the first process. */
  QueueReader start() {
    open();
    return this;
  }

  /** Opens a new stream, which takes over from the one open now. */
  void takeOver() {
    open();
  }

  private DeliveryServiceGrpc.DeliveryServiceStub async(Channel channel) {
    return DeliveryServiceGrpc.newStub(channel).withCallCredentials(BearerTokens.credentials(member.token));
  }

  private Channel channel() {
    return processes.get(reconnects.get() % processes.size());
  }

  private void open() {
    if (closed) {
      return;
    }
    int mine = stream.incrementAndGet();
    Context.CancellableContext context = Context.current().withCancellation();
    Context.CancellableContext before = current;
    current = context;
    ListenRequest request = ListenRequest.newBuilder().setAfterSequence(acked.get()).setMaxUnacked(100).build();
    context.run(() -> async(channel()).listen(request, new StreamObserver<>() {
      @Override
      public void onNext(ListenResponse response) {
        if (response.getItemCase() == ListenResponse.ItemCase.ENTRY) {
          received(response.getEntry());
        } else if (response.getItemCase() == ListenResponse.ItemCase.QUEUE_EMPTY) {
          ackUpTo(highest.get());
        }
      }

      @Override
      public void onError(Throwable t) {
        StatusRuntimeException e = t instanceof StatusRuntimeException s ? s : Status.fromThrowable(t).asRuntimeException();
        if (stream.get() != mine || closed) {
          return;   // an older stream, ended by the takeover (LISTEN_TAKEN_OVER) or by this reader
        }
        if (!passing(e)) {
          unexpected.add("Listen of " + member.id() + " ended with " + e);
        }
        reconnects.incrementAndGet();
        later.schedule(QueueReader.this::open, 100, TimeUnit.MILLISECONDS);   // a client's backoff
      }

      @Override
      public void onCompleted() {
        onError(Status.UNAVAILABLE.withDescription("completed").asRuntimeException());
      }
    }));
    if (before != null) {
      // Left to end by the takeover, as a second device would leave it; cancelled later only if it lingers.
      later.schedule(() -> before.cancel(null), 5, TimeUnit.SECONDS);
    }
  }

  private void received(QueueEntry entry) {
    QueueEntry earlier = bySequence.putIfAbsent(entry.getSequence(), entry);
    if (earlier == null) {
      receivedAtNanos.put(entry.getSequence(), System.nanoTime());
    } else if (!earlier.equals(entry)) {
      unexpected.add(member.id() + " got two different entries at sequence " + entry.getSequence() + ":\n" + earlier
          + "---\n" + entry);
    }
    long seq = highest.accumulateAndGet(entry.getSequence(), Math::max);
    if (seq - acked.get() >= ACK_EVERY) {
      ackUpTo(seq);
    }
  }

  private void ackUpTo(long sequence) {
    if (sequence <= acked.get()) {
      return;
    }
    calls.execute(() -> {
      try {
        DeliveryServiceGrpc.newBlockingStub(channel()).withCallCredentials(BearerTokens.credentials(member.token))
            .withDeadlineAfter(30, TimeUnit.SECONDS).ack(AckRequest.newBuilder().setUpToSequence(sequence).build());
        acked.accumulateAndGet(sequence, Math::max);
      } catch (StatusRuntimeException e) {
        if (!passing(e)) {
          unexpected.add("Ack of " + member.id() + " up to " + sequence + ": " + e);
        }
      }
    });
  }

  /** What a client meets when a process dies or a takeover ends its stream, and retries. */
  private static boolean passing(StatusRuntimeException e) {
    String reason = ErrorStatus.errorInfo(e).map(i -> i.getReason()).orElse("");
    return switch (e.getStatus().getCode()) {
      case UNAVAILABLE, CANCELLED -> !reason.equals(ErrorReason.INTERNAL.name());
      case ABORTED -> reason.equals(ErrorReason.LISTEN_TAKEN_OVER.name());
      default -> false;
    };
  }

  /** The MLS messages received, in sequence order, each once. */
  List<ByteString> messages() {
    List<ByteString> messages = new ArrayList<>();
    bySequence.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .filter(e -> e.getValue().hasMessage())
        .forEach(e -> messages.add(e.getValue().getMessage().getMlsMessage()));
    return messages;
  }

  /** When each message was first received (System.nanoTime), by its bytes. */
  Map<ByteString, Long> receivedAt() {
    Map<ByteString, Long> at = new ConcurrentHashMap<>();
    bySequence.forEach((seq, entry) -> {
      if (entry.hasMessage()) {
        at.put(entry.getMessage().getMlsMessage(), receivedAtNanos.get(seq));
      }
    });
    return at;
  }

  /** Whether the sequence numbers received so far have no hole from 1 (or the first one seen) up. */
  boolean contiguous() {
    List<Long> sequences = bySequence.keySet().stream().sorted().toList();
    return sequences.isEmpty() || sequences.getLast() - sequences.getFirst() + 1 == sequences.size();
  }

  @Override
  public void close() {
    closed = true;
    if (current != null) {
      current.cancel(null);
    }
    calls.shutdownNow();
    later.shutdownNow();
  }
}
