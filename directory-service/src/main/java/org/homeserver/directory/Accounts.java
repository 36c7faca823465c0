package org.homeserver.directory;

import java.util.List;
import java.util.Optional;
import org.homeserver.platform.auth.Principal;

/** What the directory needs to know of users from the auth service. */
public interface Accounts {
  /** A user of this domain as the auth service knows it. */
  record Account(String userId, boolean suspended, List<String> clientIds) {}

  /** The user of this domain with this id; empty if there is none. */
  Optional<Account> find(String userId);

  /**
   * Checks the password of {@code caller}'s user, asked by {@code caller} (signed in as one of the
   * user's clients) from {@code address}: WRONG_CREDENTIALS or RATE_LIMITED if not.
   */
  void verifyPassword(Principal caller, String password, String address);

  /** Deletes the user and its clients; its tokens stop working at once. Idempotent. */
  void delete(String userId);

  /** Users not suspended whose handle starts with {@code prefix}, in handle order, at most {@code limit}. */
  List<String> withPrefix(String prefix, int limit);
}
