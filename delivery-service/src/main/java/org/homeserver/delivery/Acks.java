package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import org.homeserver.platform.db.GroupCommit;
import org.homeserver.platform.db.Transactions;

/**
 * Ack (delivery.proto): the acknowledgements that arrive together commit together (a
 * {@link GroupCommit}, one statement per kind of row for the batch, {@link Queues#ackAll}; a refused
 * one changes nothing and fails alone), then the client's Listen streams, here and on other
 * processes, hear of it.
 */
final class Acks implements AutoCloseable {
  private static final int COMMITTERS = 2;
  private static final int MAX_BATCH = 64;
  /**
   * A batch locks its clients' rows in the order every statement on queue_heads does
   * (V9__lock_order.sql): PostgreSQL's, bytes compared unsigned, which UUID.compareTo is not.
   */
  static final Comparator<UUID> AS_POSTGRESQL_ORDERS_UUIDS = Comparator
      .<UUID, Long>comparing(UUID::getMostSignificantBits, Long::compareUnsigned)
      .thenComparing(UUID::getLeastSignificantBits, Long::compareUnsigned);

  private final Publisher publisher;
  private final GroupCommit<Queues.Ack, Queues.Acknowledged> commits;

  Acks(Transactions db, Queues queues, Publisher publisher) {
    this.publisher = publisher;
    this.commits = new GroupCommit<>(db, ack -> ack.client().hashCode(),
        Comparator.comparing(Queues.Ack::client, AS_POSTGRESQL_ORDERS_UUIDS), queues::ackAll,
        GroupCommit.Committed.nothing(), COMMITTERS, MAX_BATCH, "acks");
  }

  /** Acknowledges {@code client}'s entries up to these positions; see {@link Queues#ack}. */
  void ack(UUID client, long ownUpTo, Map<ByteString, Long> groups) {
    Queues.Acknowledged acked = commits.run(new Queues.Ack(client, ownUpTo, groups));
    publisher.acknowledged(client, acked);
  }

  @Override
  public void close() {
    commits.close();
  }
}
