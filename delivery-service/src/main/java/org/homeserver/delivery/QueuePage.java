package org.homeserver.delivery;

import java.util.List;
import org.homeserver.api.delivery.v1.QueueEntry;

/**
 * What one read of a client found, as Fetch answers it: its entries (own queue first, then group by
 * group, each in order), whether more follow, and the cursor after them; with the positions it
 * read from, its own queue's floor and its readers, so a Listen stream learns its groups and acks.
 */
public record QueuePage(List<QueueEntry> entries, boolean hasMore, ReadCursor next, long floor,
                        List<GroupLogStore.Reader> readers) {
  public QueuePage {
    entries = List.copyOf(entries);
    readers = List.copyOf(readers);
  }
}
