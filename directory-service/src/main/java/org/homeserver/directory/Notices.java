package org.homeserver.directory;

import java.util.List;
import org.homeserver.api.delivery.v1.ServerEvent;

/** How the directory tells clients what happened: server events in their queues (the delivery service). */
public interface Notices {
  /**
   * Queues {@code event} for every client of {@code userIds} but {@code excludedClient} (may be
   * empty), once under {@code idempotencyKey}.
   */
  void tell(List<String> userIds, String excludedClient, ServerEvent event, String idempotencyKey);

  /** The users who share a group with {@code userId} (other than itself). */
  List<String> groupPeers(String userId);
}
