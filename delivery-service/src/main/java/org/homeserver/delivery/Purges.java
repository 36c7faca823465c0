package org.homeserver.delivery;

import java.util.LinkedHashSet;
import java.util.Set;
import org.homeserver.api.auth.v1.RegisteredClient;
import org.homeserver.platform.clients.RegisteredClients;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.ids.UserId;
import org.homeserver.platform.db.Transactions;

/**
 * Purges of deleted users and clients (delivery_internal.proto PurgeClients): each client's queue
 * and group policies go, nothing is queued for it any more, and groups left with purged leaves
 * only are deleted. Idempotent.
 */
public final class Purges {
  private final Transactions db;
  private final Groups groups;
  private final GroupLogStore groupLog;
  private final Queues queues;
  private final RegisteredClients registry;
  private final LocalClients local;

  public Purges(Transactions db, Groups groups, GroupLogStore groupLog, Queues queues, RegisteredClients registry,
      LocalClients local) {
    this.db = db;
    this.groups = groups;
    this.groupLog = groupLog;
    this.queues = queues;
    this.registry = registry;
    this.local = local;
  }

  /** Purges one client of this domain. */
  public void purgeClient(String clientId) {
    ClientIdentity client = ClientIdentity.parseClientId(clientId).filter(c -> local.queueOf(clientId).isPresent())
        .orElseThrow(() -> Refusal.invalidField("client_id", "not a client id of this domain"));
    // In the lock order of every send (V9__lock_order.sql): idempotency records, groups, heads.
    db.useTransaction(h -> {
      queues.forgetIdempotency(h, client.clientUuid());
      groups.purge(h, clientId);
      groupLog.dropReader(h, client.clientUuid());
      queues.dropQueue(h, client.clientUuid());
    });
  }

  /**
   * Purges every client of a user of this domain: those the auth service still lists and those
   * holding leaves in groups here (a user already deleted there).
   */
  public void purgeUser(String userId) {
    UserId user = UserId.parse(userId).filter(u -> u.domain().equals(local.domain()))
        .orElseThrow(() -> Refusal.invalidField("user_id", "not a user id of this domain"));
    Set<String> clients = new LinkedHashSet<>();
    registry.clientsOf(userId).stream().map(RegisteredClient::getClientId).forEach(clients::add);
    clients.addAll(groups.memberClientsOf(user));
    clients.forEach(this::purgeClient);
  }
}
