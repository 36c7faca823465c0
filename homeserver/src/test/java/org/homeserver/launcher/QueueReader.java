package org.homeserver.launcher;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
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
import org.homeserver.api.delivery.v1.GroupPosition;
import org.homeserver.api.delivery.v1.ListenRequest;
import org.homeserver.api.delivery.v1.ListenResponse;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.SendResponse;
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
  /** Where an entry sits: a group's log (empty for the own queue) and the sequence there. */
  private record Position(ByteString group, long sequence) implements Comparable<Position> {
    static Position of(QueueEntry entry) {
      return new Position(entry.hasMessage() ? entry.getMessage().getGroupId() : ByteString.EMPTY, entry.getSequence());
    }

    @Override
    public int compareTo(Position other) {
      int byGroup = ByteString.unsignedLexicographicalComparator().compare(group, other.group);
      return byGroup != 0 ? byGroup : Long.compare(sequence, other.sequence);
    }
  }

  private final Map<Position, QueueEntry> byPosition = new ConcurrentHashMap<>();
  private final Map<Position, Long> receivedAtNanos = new ConcurrentHashMap<>();
  private final Set<Position> ownMessages = ConcurrentHashMap.newKeySet();
  /** The highest position received in each group's log and the own queue, and entries since the last Ack. */
  private final Map<ByteString, Long> highest = new ConcurrentHashMap<>();
  private final AtomicInteger unacked = new AtomicInteger();
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
    ListenRequest request = ListenRequest.newBuilder().setMaxUnacked(100).build();
    context.run(() -> async(channel()).listen(request, new StreamObserver<>() {
      @Override
      public void onNext(ListenResponse response) {
        if (response.getItemCase() == ListenResponse.ItemCase.ENTRY) {
          received(response.getEntry());
        } else if (response.getItemCase() == ListenResponse.ItemCase.QUEUE_EMPTY) {
          ack();
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
    Position position = Position.of(entry);
    QueueEntry earlier = byPosition.putIfAbsent(position, entry);
    if (earlier == null) {
      receivedAtNanos.put(position, System.nanoTime());
    } else if (!earlier.equals(entry)) {
      unexpected.add(member.id() + " got two different entries at " + position + ":\n" + earlier + "---\n" + entry);
    }
    highest.merge(position.group(), position.sequence(), Math::max);
    if (unacked.incrementAndGet() >= ACK_EVERY) {
      ack();
    }
  }

  /** Acknowledges the highest position received in each group's log and the own queue. */
  private void ack() {
    if (highest.isEmpty()) {
      return;
    }
    unacked.set(0);
    AckRequest.Builder request = AckRequest.newBuilder();
    highest.forEach((group, upTo) -> {
      if (group.isEmpty()) {
        request.setUpToSequence(upTo);
      } else {
        request.addGroups(GroupPosition.newBuilder().setGroupId(group).setUpToSequence(upTo));
      }
    });
    calls.execute(() -> {
      try {
        DeliveryServiceGrpc.newBlockingStub(channel()).withCallCredentials(BearerTokens.credentials(member.token))
            .withDeadlineAfter(30, TimeUnit.SECONDS).ack(request.build());
      } catch (StatusRuntimeException e) {
        if (!passing(e)) {
          unexpected.add("Ack of " + member.id() + " up to " + request + ": " + e);
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

  /** The MLS messages received, in their groups' order (groups one after the other), each once. */
  List<ByteString> messages() {
    List<ByteString> messages = new ArrayList<>();
    byPosition.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .filter(e -> e.getValue().hasMessage())
        .forEach(e -> messages.add(e.getValue().getMessage().getMlsMessage()));
    return messages;
  }

  /** When each message was first received (System.nanoTime), by its bytes. */
  Map<ByteString, Long> receivedAt() {
    Map<ByteString, Long> at = new ConcurrentHashMap<>();
    byPosition.forEach((position, entry) -> {
      if (entry.hasMessage()) {
        at.put(entry.getMessage().getMlsMessage(), receivedAtNanos.get(position));
      }
    });
    return at;
  }

  /** A message this client sent was accepted: it takes that position in its group's log, which it does not receive. */
  void sent(SendResponse response) {
    ownMessages.add(new Position(response.getGroupId(), response.getSequence()));
  }

  /**
   * Whether the sequence numbers received so far in each group's log (with those of the client's
   * own messages) and in the own queue have no hole between the first seen and the last.
   */
  boolean contiguous() {
    Map<ByteString, List<Long>> byGroup = new HashMap<>();
    byPosition.keySet().forEach(p -> byGroup.computeIfAbsent(p.group(), g -> new ArrayList<>()).add(p.sequence()));
    ownMessages.forEach(p -> byGroup.computeIfAbsent(p.group(), g -> new ArrayList<>()).add(p.sequence()));
    return byGroup.values().stream().allMatch(sequences -> {
      sequences.sort(null);
      return sequences.getLast() - sequences.getFirst() + 1 == sequences.size();
    });
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
