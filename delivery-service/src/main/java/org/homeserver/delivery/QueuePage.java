package org.homeserver.delivery;

import java.util.List;
import org.homeserver.api.delivery.v1.QueueEntry;

/** Entries of one client's queue in sequence order, as Fetch answers them, and whether more follow. */
public record QueuePage(List<QueueEntry> entries, boolean hasMore) {
  public QueuePage {
    entries = List.copyOf(entries);
  }
}
