package org.homeserver.notifier.jobs;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.UUID;
import org.homeserver.api.notifier.v1.NotificationKind;
import org.homeserver.api.notifier.v1.Urgency;
import org.homeserver.notifier.push.Push;

/**
 * One push of one notification to one endpoint, as the job store keeps it: the endpoint is looked
 * up when the push is made (it may have been deleted or updated meanwhile).
 *
 * @param attempts  pushes tried so far
 * @param expiresAt when the policy's TTL runs out: the job is dropped instead of tried after it
 */
public record PushJob(UUID endpointId, Push push, int attempts, Instant expiresAt) {
  private static final int FORMAT = 1;

  public PushJob {
    Objects.requireNonNull(endpointId, "endpointId");
    Objects.requireNonNull(push, "push");
    // As the stores keep it.
    expiresAt = expiresAt.truncatedTo(ChronoUnit.MILLIS);
  }

  /** This job after one more failed attempt. */
  public PushJob retried() {
    return new PushJob(endpointId, push, attempts + 1, expiresAt);
  }

  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      out.writeLong(endpointId.getMostSignificantBits());
      out.writeLong(endpointId.getLeastSignificantBits());
      out.writeUTF(push.notificationId());
      out.writeLong(push.count());
      out.writeByte(push.kind().getNumber());
      out.writeLong(push.ttlSeconds());
      out.writeByte(push.urgency().getNumber());
      out.writeUTF(push.topic());
      out.writeInt(attempts);
      out.writeLong(expiresAt.toEpochMilli());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static PushJob decode(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int format = in.readUnsignedByte();
      if (format != FORMAT) {
        throw new IllegalArgumentException("push job format " + format);
      }
      UUID endpoint = new UUID(in.readLong(), in.readLong());
      Push push = new Push(in.readUTF(), in.readLong(), NotificationKind.forNumber(in.readUnsignedByte()),
          in.readLong(), Urgency.forNumber(in.readUnsignedByte()), in.readUTF());
      return new PushJob(endpoint, push, in.readInt(), Instant.ofEpochMilli(in.readLong()));
    } catch (IOException e) {
      throw new IllegalArgumentException("a push job does not decode", e);
    }
  }
}
