package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.delivery.v1.ListenRequest;
import org.homeserver.api.delivery.v1.ListenResponse;
import org.homeserver.api.delivery.v1.QueueEntry;

/** One Listen stream of a test client: what it received, in order, and how it ended. */
final class ListenProbe implements AutoCloseable {
  /** How long a test waits for something that should come; never a measure of speed. */
  static final long WAIT_SECONDS = 20;

  final BlockingQueue<ListenResponse> received = new LinkedBlockingQueue<>();
  final CompletableFuture<StatusRuntimeException> ended = new CompletableFuture<>();
  private final Context.CancellableContext context = Context.current().withCancellation();

  ListenProbe(TestMember member, ListenRequest request) {
    context.run(() -> member.deliveryAsync().listen(request, new StreamObserver<>() {
      @Override
      public void onNext(ListenResponse value) {
        received.add(value);
      }

      @Override
      public void onError(Throwable t) {
        ended.complete(t instanceof StatusRuntimeException e ? e : Status.fromThrowable(t).asRuntimeException());
      }

      @Override
      public void onCompleted() {
        ended.complete(Status.OK.asRuntimeException());
      }
    }));
  }

  static ListenProbe open(TestMember member) {
    return new ListenProbe(member, ListenRequest.getDefaultInstance());
  }

  /** The next item; fails if none comes in time. */
  ListenResponse next() throws InterruptedException {
    ListenResponse next = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(next, "nothing arrived on the Listen stream");
    return next;
  }

  /** The next {@code n} items, which must all be entries. */
  List<QueueEntry> entries(int n) throws InterruptedException {
    List<QueueEntry> entries = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ListenResponse next = next();
      assertEquals(ListenResponse.ItemCase.ENTRY, next.getItemCase(), () -> "expected an entry, got " + next);
      entries.add(next.getEntry());
    }
    return entries;
  }

  /** Skips keep-alives; the next entry or QueueEmpty. */
  ListenResponse nextContent() throws InterruptedException {
    while (true) {
      ListenResponse next = next();
      if (next.getItemCase() != ListenResponse.ItemCase.KEEP_ALIVE) {
        return next;
      }
    }
  }

  /** How the stream ended (OK if it completed); fails if it does not end in time. */
  StatusRuntimeException end() throws Exception {
    return ended.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    context.cancel(null);
  }
}
