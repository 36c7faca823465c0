package org.homeserver.notifier.push;

/**
 * Sends pushes to endpoints of one kind (Web Push, webhook, APNs, FCM). Implementations never
 * follow redirects, bound every request with a timeout, and report HTTP outcomes as
 * {@link PushResult}s instead of throwing.
 */
public interface PushSender {
  /**
   * Pushes {@code push} to {@code address}, which is of this sender's kind.
   *
   * @throws IllegalArgumentException if the address is of another kind
   */
  PushResult send(EndpointAddress address, Push push);
}
