package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.homeserver.api.delivery.v1.GroupMessage;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.platform.db.PostgresLocation;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.signal.LocalSignals;
import org.homeserver.platform.signal.Signals;
import org.homeserver.platform.testing.TestPostgres;
import org.homeserver.platform.testing.MutableClock;

/** The queues on a fresh database of the real PostgreSQL, with the signals and clock a test chooses. */
final class QueueFixture implements AutoCloseable {
  final PostgresLocation location;
  final ServiceDatabase database;
  final QueueStore store;
  final Signals signals;
  final MutableClock clock = new MutableClock();
  final Queues queues;

  private QueueFixture(Signals signals, QueueLimits limits, int poolSize) {
    this.location = TestPostgres.freshDatabase();
    this.database = ServiceDatabase.open(location, "delivery", poolSize);
    this.store = new QueueStore(database.transactions());
    this.signals = signals;
    this.queues = new Queues(store, new GroupLogStore(database.transactions()), new QueueSignals(signals), clock,
        limits);
  }

  static QueueFixture start() {
    return new QueueFixture(new LocalSignals(), QueueLimits.DEFAULTS, 4);
  }

  static QueueFixture start(QueueLimits limits) {
    return new QueueFixture(new LocalSignals(), limits, 4);
  }

  static QueueFixture start(Signals signals, QueueLimits limits, int poolSize) {
    return new QueueFixture(signals, limits, poolSize);
  }

  /** A second set of queues on a new connection pool to the same database, as a restarted process. */
  Queues restarted(ServiceDatabase fresh) {
    return new Queues(new QueueStore(fresh.transactions()), new GroupLogStore(fresh.transactions()),
        new QueueSignals(signals), clock, QueueLimits.DEFAULTS);
  }

  static QueueContent message(String group, String text) {
    return new QueueContent.Message(GroupMessage.newBuilder()
        .setGroupId(ByteString.copyFromUtf8(group))
        .setEpoch(1)
        .setMlsMessage(ByteString.copyFromUtf8(text))
        .build());
  }

  static String textOf(QueueEntry entry) {
    return entry.getMessage().getMlsMessage().toString(StandardCharsets.UTF_8);
  }

  static List<UUID> clients(int n) {
    List<UUID> clients = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      clients.add(UUID.randomUUID());
    }
    return clients;
  }

  /** Queues a message of {@code group} for {@code recipients}, without an idempotency key. */
  Enqueued send(String group, String text, UUID... recipients) {
    return enqueue(Delivery.of(message(group, text), Arrays.stream(recipients).map(Recipient::of).toList()));
  }

  /** Row counts once the released bodies are swept. */
  QueueStore.Counts counts() {
    queues.sweepReleasedBodies();
    return store.counts();
  }

  /** {@link QueueStore#inconsistencies()}, before and after a sweep of released bodies (both must be none). */
  long inconsistencies() {
    long before = store.inconsistencies();
    queues.sweepReleasedBodies();
    return before + store.inconsistencies();
  }

  /** The texts of the messages in {@code client}'s queue, in order. */
  List<String> texts(UUID client) {
    return fetchAll(client).stream().map(QueueFixture::textOf).toList();
  }

  /** The sequence numbers in {@code client}'s queue, in order. */
  List<Long> sequences(UUID client) {
    return fetchAll(client).stream().map(QueueEntry::getSequence).toList();
  }

  /** Every entry of {@code client}'s queue, read page by page. */
  List<QueueEntry> fetchAll(UUID client) {
    List<QueueEntry> all = new ArrayList<>();
    long after = 0;
    while (true) {
      QueuePage page = fetch(client, after, 1000);
      all.addAll(page.entries());
      if (!page.hasMore()) {
        return all;
      }
      after = page.entries().getLast().getSequence();
    }
  }

  /** Queues {@code delivery} and signals it once committed, as a send's publisher would. */
  Enqueued enqueue(Delivery delivery) {
    Queues.Delivered delivered = queues.enqueue(delivery);
    new QueueSignals(signals).published(delivered.published());
    return delivered.enqueued();
  }

  /** The client's entries after {@code after} in its own queue. */
  QueuePage fetch(UUID client, long after, int limit) {
    return queues.read(client, new ReadCursor(after, java.util.Map.of()), limit);
  }

  @Override
  public void close() {
    database.close();
    signals.close();
  }
}
