package org.homeserver.directory;

/** Has the other services forget a deleted user (their internal APIs). */
public interface Purger {
  /** Deletes the user's KeyPackages, queues, group policies and push endpoints. Idempotent. */
  void purge(String userId);
}
