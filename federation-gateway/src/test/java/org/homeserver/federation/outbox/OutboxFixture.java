package org.homeserver.federation.outbox;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.random.RandomGenerator;
import org.homeserver.api.federation.v1.DeliverEventRequest;
import org.homeserver.api.federation.v1.DeliverGroupMessageRequest;
import org.homeserver.api.federation.v1.Delivery;
import org.homeserver.federation.FederationModule;
import org.homeserver.federation.outbox.OutboxStore.DestinationStatus;
import org.homeserver.platform.db.PostgresLocation;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.signal.LocalSignals;
import org.homeserver.platform.testing.MutableClock;
import org.homeserver.platform.testing.TestPostgres;

/** The outbox on a fresh database of the real PostgreSQL, with fake peers, a policy and a clock the test drives. */
final class OutboxFixture implements AutoCloseable {
  static final Duration BACKOFF_BASE = Duration.ofSeconds(5);
  /** A backoff that always waits its ceiling, so a test knows the exact moment of the next attempt. */
  static final Backoff LONGEST = new Backoff(BACKOFF_BASE, new RandomGenerator() {
    @Override
    public long nextLong() {
      throw new UnsupportedOperationException("only bounded draws");
    }

    @Override
    public long nextLong(long bound) {
      return bound - 1;
    }
  });

  final PostgresLocation location = TestPostgres.freshDatabase();
  final ServiceDatabase database = ServiceDatabase.open(location, FederationModule.NAME, 8);
  final OutboxStore store = new OutboxStore(database.transactions());
  final MutableClock clock = new MutableClock();
  final LocalSignals signals = new LocalSignals();
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final FakePeer peer = new FakePeer();
  final Set<String> forbidden = ConcurrentHashMap.newKeySet();
  final Outbox outbox = new Outbox(store, signals, clock);
  private final List<AutoCloseable> opened = new CopyOnWriteArrayList<>();

  /** A worker of the process {@code processId}, on this fixture's database pool. */
  OutboxWorker worker(String processId) {
    return worker(store, processId);
  }

  /** A worker of the process {@code processId} on {@code store} (another process's pool). */
  OutboxWorker worker(OutboxStore store, String processId) {
    return worker(store, processId, peer);
  }

  /** A worker of the process {@code processId} on {@code store}, sending through {@code sender}. */
  OutboxWorker worker(OutboxStore store, String processId, PeerSender sender) {
    OutboxWorker worker = new OutboxWorker(store, sender, d -> !forbidden.contains(d), signals, clock, LONGEST,
        meters, processId);
    opened.add(worker);
    return worker;
  }

  /** Another process's connection pool to the same database. */
  OutboxStore otherProcessStore() {
    ServiceDatabase other = ServiceDatabase.open(location, FederationModule.NAME, 8);
    opened.add(other);
    return new OutboxStore(other.transactions());
  }

  /** Queues an event with idempotency key {@code key} in {@code lane} of {@code destination}. */
  long enqueue(String destination, String lane, String key) {
    return outbox.enqueue(destination, lane, event(key));
  }

  static Delivery event(String key) {
    return Delivery.newBuilder().setEvent(DeliverEventRequest.newBuilder()
        .addUserIds("mimi://" + "local.example/u/alice").setIdempotencyKey(key)).build();
  }

  /** A group message whose MLS message is {@code size} bytes. */
  static Delivery groupMessage(String key, int size) {
    return Delivery.newBuilder().setGroupMessage(DeliverGroupMessageRequest.newBuilder()
        .setGroupId(ByteString.copyFromUtf8("group")).setEpoch(1).setMlsMessage(ByteString.copyFrom(new byte[size]))
        .setSequence(1).setIdempotencyKey(key)).build();
  }

  DestinationStatus status(String destination) {
    return outbox.status(List.of(destination)).get(destination);
  }

  double counter(String name, String destination) {
    var counter = meters.find(name).tag("destination", destination).counter();
    return counter == null ? 0 : counter.count();
  }

  @Override
  public void close() throws Exception {
    for (AutoCloseable closeable : opened.reversed()) {
      closeable.close();
    }
    database.close();
    signals.close();
  }
}
