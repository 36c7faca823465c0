package org.homeserver.directory;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.delivery.v1.UserDeleted;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.ids.UserId;

/**
 * Account deletion (directory.proto DeleteAccount, directory_internal.proto DeleteUserData): the
 * users concerned are told, then the directory, the KeyPackages and the queues forget the user,
 * and last the auth service deletes it, which revokes its tokens and holds its handle back. Every
 * step is idempotent, so DeleteUserData finishes a deletion that stopped half way.
 */
public final class AccountDeletion {
  private final DirectoryStore store;
  private final Accounts accounts;
  private final Notices notices;
  private final Purger purger;
  private final String domain;

  public AccountDeletion(DirectoryStore store, Accounts accounts, Notices notices, Purger purger, String domain) {
    this.store = store;
    this.accounts = accounts;
    this.notices = notices;
    this.purger = purger;
    this.domain = domain;
  }

  /** The caller deletes its own account, confirmed by its password, asking from {@code address}. */
  public void deleteAccount(Principal caller, String password, String address) {
    accounts.verifyPassword(caller, password, address);
    deleteUserData(caller.userId());
  }

  /**
   * Deletes a user of this domain everywhere: every client of every user who shared a group, a
   * connection or a request with it gets UserDeleted (once, whatever the retries).
   */
  public void deleteUserData(String userId) {
    if (UserId.parse(userId).filter(id -> id.domain().equals(domain)).isEmpty()) {
      // A user of another domain, reported deleted by its homeserver: drop what links to it.
      store.deleteUser(userId);
      return;
    }
    Set<String> concerned = new LinkedHashSet<>(notices.groupPeers(userId));
    concerned.addAll(store.linkedUsers(userId));
    concerned.remove(userId);
    ServerEvent event = ServerEvent.newBuilder().setUserDeleted(UserDeleted.newBuilder().setUserId(userId)).build();
    // One event per user told, each under its own key: a resumed deletion that finds fewer users
    // concerned (their links already gone) repeats exactly the requests it makes, and tells no one twice.
    for (String told : concerned) {
      notices.tell(List.of(told), "", event, deletionKey(userId, told));
    }
    store.deleteUser(userId);
    purger.purge(userId);
    accounts.delete(userId);
  }

  /** The idempotency key of telling {@code told} that {@code userId} was deleted. */
  private static String deletionKey(String userId, String told) {
    return "user-deleted-" + UUID.nameUUIDFromBytes((userId + "\n" + told).getBytes(StandardCharsets.UTF_8));
  }
}
