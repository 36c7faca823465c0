package org.homeserver.delivery;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.homeserver.platform.db.IdempotentRequest;

/** One send into the queues: the content, stored once, and the clients it is queued for. */
public record Delivery(QueueContent content, List<Recipient> recipients, Optional<IdempotentRequest> idempotency) {
  public Delivery {
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(idempotency, "idempotency");
    recipients = List.copyOf(recipients);
    if (recipients.isEmpty()) {
      throw new IllegalArgumentException("a delivery needs at least one recipient");
    }
    Set<UUID> seen = new HashSet<>();
    for (Recipient r : recipients) {
      // A duplicate would be a fan-out bug; queueing it twice would hide it.
      if (!seen.add(r.client())) {
        throw new IllegalArgumentException("recipient " + r.client() + " is named twice");
      }
      if (r.policy().isPresent() && !(content instanceof QueueContent.Message)) {
        throw new IllegalArgumentException("Welcomes and events always follow the default policy");
      }
    }
  }

  /** A delivery sent without an idempotency key (server events). */
  public static Delivery of(QueueContent content, List<Recipient> recipients) {
    return new Delivery(content, recipients, Optional.empty());
  }
}
