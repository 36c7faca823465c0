package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Optional;
import org.homeserver.api.delivery.v1.GroupMessage;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.delivery.v1.WelcomeMessage;
import org.homeserver.api.notifier.v1.NotificationPolicy;

/** What one queue entry holds: the three contents of a QueueEntry, stored once per send. */
public sealed interface QueueContent {

  /** An MLS message of a group; its notification policy is per recipient ({@link Recipient}), not here. */
  record Message(GroupMessage message) implements QueueContent {
    public Message {
      if (message.hasNotificationPolicy()) {
        throw new IllegalArgumentException("the policy is per recipient: set it on the Recipient");
      }
    }
  }

  /** A Welcome into a group. */
  record Welcome(WelcomeMessage welcome) implements QueueContent {}

  /** An event from the server. */
  record Event(ServerEvent event) implements QueueContent {}

  /** The stored code of this kind of content (queue_bodies.kind). */
  default short kind() {
    return switch (this) {
      case Message m -> 1;
      case Welcome w -> 2;
      case Event e -> 3;
    };
  }

  /** The serialized proto, as stored. */
  default byte[] toBytes() {
    return switch (this) {
      case Message m -> m.message().toByteArray();
      case Welcome w -> w.welcome().toByteArray();
      case Event e -> e.event().toByteArray();
    };
  }

  /** The group a QueueGap names when this is dropped unread; none for events. */
  default Optional<ByteString> groupId() {
    return switch (this) {
      case Message m -> Optional.of(m.message().getGroupId());
      case Welcome w -> Optional.of(w.welcome().getGroupId());
      case Event e -> Optional.empty();
    };
  }

  /** The queue entry at {@code sequence} holding this content, with the recipient's policy for a message. */
  default QueueEntry toEntry(long sequence, com.google.protobuf.Timestamp receivedAt,
      Optional<NotificationPolicy> policy) {
    QueueEntry.Builder entry = QueueEntry.newBuilder().setSequence(sequence).setReceivedAt(receivedAt);
    switch (this) {
      case Message m -> {
        GroupMessage.Builder message = m.message().toBuilder();
        policy.ifPresent(message::setNotificationPolicy);
        entry.setMessage(message);
      }
      case Welcome w -> entry.setWelcome(w.welcome());
      case Event e -> entry.setEvent(e.event());
    }
    return entry.build();
  }

  /**
   * Sets stored content of {@code kind} on {@code entry}, with the recipient's policy for a
   * message. The bytes were written by {@link #toBytes()}, so a parse failure is corruption.
   */
  static void fill(QueueEntry.Builder entry, short kind, byte[] content, byte[] policy) {
    try {
      switch (kind) {
        case 1 -> {
          GroupMessage.Builder message = GroupMessage.newBuilder().mergeFrom(content);
          if (policy != null) {
            message.getNotificationPolicyBuilder().mergeFrom(policy);
          }
          entry.setMessage(message);
        }
        case 2 -> entry.setWelcome(WelcomeMessage.parseFrom(content));
        case 3 -> entry.setEvent(ServerEvent.parseFrom(content));
        default -> throw new IllegalStateException("unknown stored queue content kind " + kind);
      }
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored queue content of kind " + kind + " does not parse", e);
    }
  }
}
