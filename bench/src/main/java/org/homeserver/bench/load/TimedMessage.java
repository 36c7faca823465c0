package org.homeserver.bench.load;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.message.ContentType;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.PrivateMessage;

/**
 * An application message (an MLSMessage holding a PrivateMessage) that carries the time it was sent
 * in the first 8 bytes of its ciphertext: the server never decrypts, it reads only the group id,
 * epoch and content type, so the receiver finds the time as the sender wrote it. The time is
 * {@link System#nanoTime()}, which every client of the run shares because they live in one JVM.
 */
final class TimedMessage {
  /** The size of the sender data a real client encrypts (RFC 9420 section 6.3.2 with a 4-byte generation). */
  private static final int ENCRYPTED_SENDER_DATA_BYTES = 28;

  private TimedMessage() {}

  /** A message to {@code groupId} at {@code epoch} with {@code ciphertextBytes} of ciphertext, sent at {@code sentAt}. */
  static byte[] encode(byte[] groupId, long epoch, int ciphertextBytes, long sentAt) {
    byte[] ciphertext = new byte[ciphertextBytes];
    ThreadLocalRandom random = ThreadLocalRandom.current();
    random.nextBytes(ciphertext);
    ByteBuffer.wrap(ciphertext).putLong(sentAt);
    byte[] senderData = new byte[ENCRYPTED_SENDER_DATA_BYTES];
    random.nextBytes(senderData);
    return new MlsMessage(MlsMessage.MLS10,
        new PrivateMessage(groupId, epoch, ContentType.APPLICATION, new byte[0], senderData, ciphertext)).toBytes();
  }

  /** The send time a message of {@link #encode} carries; empty for any other MLSMessage. */
  static Optional<Long> sentAt(byte[] mlsMessage) {
    try {
      if (MlsMessage.decode(mlsMessage).body() instanceof PrivateMessage(_, _, var type, _, _,
          byte[] ciphertext) && type == ContentType.APPLICATION && ciphertext.length >= Long.BYTES) {
        return Optional.of(ByteBuffer.wrap(ciphertext).getLong());
      }
    } catch (MlsDecodeException notOurs) {
      // Counted as a delivery all the same; it only has no latency.
    }
    return Optional.empty();
  }
}
