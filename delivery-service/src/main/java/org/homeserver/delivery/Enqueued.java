package org.homeserver.delivery;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Where a send landed: the sequence number of its entry in each recipient's queue, in the order
 * the recipients were given; {@code replayed} when this is the first answer returned to a retry.
 */
public record Enqueued(List<Position> positions, boolean replayed) {
  private static final int POSITION_BYTES = 16 + 8;

  public Enqueued {
    positions = List.copyOf(positions);
  }

  /** One recipient's entry. */
  public record Position(UUID client, long sequence) {}

  /** The sequence number the entry got in {@code client}'s queue; empty if it was not a recipient. */
  public OptionalLong sequenceOf(UUID client) {
    for (Position p : positions) {
      if (p.client().equals(client)) {
        return OptionalLong.of(p.sequence());
      }
    }
    return OptionalLong.empty();
  }

  /** The answer as kept under an idempotency key. */
  byte[] encode() {
    ByteBuffer out = ByteBuffer.allocate(positions.size() * POSITION_BYTES);
    for (Position p : positions) {
      out.putLong(p.client().getMostSignificantBits()).putLong(p.client().getLeastSignificantBits())
          .putLong(p.sequence());
    }
    return out.array();
  }

  /** The answer kept by {@link #encode()}, returned again to a retry. */
  static Enqueued replay(byte[] encoded) {
    if (encoded.length % POSITION_BYTES != 0) {
      throw new IllegalStateException("stored enqueue answer has " + encoded.length + " bytes");
    }
    ByteBuffer in = ByteBuffer.wrap(encoded);
    List<Position> positions = new ArrayList<>(encoded.length / POSITION_BYTES);
    while (in.hasRemaining()) {
      positions.add(new Position(new UUID(in.getLong(), in.getLong()), in.getLong()));
    }
    return new Enqueued(positions, true);
  }
}
