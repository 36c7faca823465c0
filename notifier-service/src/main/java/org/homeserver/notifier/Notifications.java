package org.homeserver.notifier;

import java.time.Clock;
import java.time.Instant;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.homeserver.api.notifier.v1.NotificationKind;
import org.homeserver.api.notifier.v1.NotificationPolicy;
import org.homeserver.api.notifier.v1.Notification;
import org.homeserver.api.notifier.v1.NotifyClientRequest;
import org.homeserver.api.notifier.v1.Urgency;
import org.homeserver.notifier.jobs.JobQueue;
import org.homeserver.notifier.jobs.PushJob;
import org.homeserver.notifier.push.Push;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.notify.NotificationPolicies;

/**
 * Turns notifications of queued entries into push jobs (notifier.proto WHAT GETS PUSHED): the
 * policy attached to the entry, else the client's default, else the server's; nothing for NONE,
 * for a listening client unless the policy asks, or for a client without endpoints.
 */
public final class Notifications {
  /** ALERT, a day, normal urgency: for clients that never set a default policy. */
  public static final NotificationPolicy SERVER_DEFAULT = NotificationPolicy.newBuilder()
      .setKind(NotificationKind.NOTIFICATION_KIND_ALERT)
      .setTtlSeconds(NotificationPolicies.DEFAULT_TTL_SECONDS)
      .setUrgency(Urgency.URGENCY_NORMAL)
      .build();

  private final NotifierStore store;
  private final JobQueue queue;
  private final String domain;
  private final Clock clock;

  public Notifications(NotifierStore store, JobQueue queue, String domain, Clock clock) {
    this.store = store;
    this.queue = queue;
    this.domain = domain;
    this.clock = clock;
  }

  /** One notification to act on, checked. */
  private record Notice(UUID client, UUID id, Optional<NotificationPolicy> attached, long count, boolean listening) {}

  /** Takes the notifications: all are checked first (one bad one refuses the batch), then stored as jobs. */
  public void notify(List<NotifyClientRequest> requests) {
    notify(requests, List.of());
  }

  /** As {@link #notify(List)}, with the compact form of NotifyClientsRequest too. */
  public void notify(List<NotifyClientRequest> requests, List<Notification> compact) {
    List<Notice> notices = new ArrayList<>(requests.size() + compact.size());
    for (int i = 0; i < requests.size(); i++) {
      notices.add(check("notifications[" + i + "].", requests.get(i)));
    }
    for (int i = 0; i < compact.size(); i++) {
      notices.add(check("compact[" + i + "].", compact.get(i)));
    }
    List<UUID> clients = notices.stream().map(Notice::client).distinct().toList();
    Map<UUID, List<Endpoint>> endpoints = store.endpointsOf(clients);
    if (endpoints.isEmpty()) {
      return;
    }
    Map<UUID, NotificationPolicy> defaults = store.defaultPolicies(endpoints.keySet());
    Instant now = clock.instant();
    List<JobQueue.Submission> submissions = new ArrayList<>();
    for (Notice notice : notices) {
      List<Endpoint> targets = endpoints.getOrDefault(notice.client(), List.of());
      NotificationPolicy policy = notice.attached().orElseGet(() -> defaults.getOrDefault(notice.client(), SERVER_DEFAULT));
      if (targets.isEmpty() || policy.getKind() == NotificationKind.NOTIFICATION_KIND_NONE
          || (notice.listening() && !policy.getPushWhileListening())) {
        continue;
      }
      Push push = new Push(notice.id().toString(), notice.count(), policy.getKind(), policy.getTtlSeconds(),
          policy.getUrgency(), policy.getCollapseTopic());
      Instant expiresAt = now.plusSeconds(policy.getTtlSeconds());
      submissions.add(new JobQueue.Submission(notice.id(),
          targets.stream().map(e -> new PushJob(e.id(), push, 0, expiresAt)).toList()));
    }
    queue.submit(submissions, now);
  }

  private static Notice check(String field, Notification notification) {
    UUID client = uuid(field + "client_uuid", notification.getClientUuid());
    UUID id = uuid(field + "notification_id", notification.getNotificationId());
    if (notification.getCount() < 0) {
      throw Refusal.invalidField(field + "count", "must not be negative");
    }
    Optional<NotificationPolicy> attached = notification.hasPolicy()
        ? Optional.of(NotificationPolicies.withDefaults(notification.getPolicy()))
        : Optional.empty();
    return new Notice(client, id, attached, notification.getCount(), notification.getClientListening());
  }

  private static UUID uuid(String field, ByteString bytes) {
    if (bytes.size() != 16) {
      throw Refusal.invalidField(field, "must be a uuid of 16 bytes, not " + bytes.size());
    }
    ByteBuffer buffer = bytes.asReadOnlyByteBuffer();
    return new UUID(buffer.getLong(), buffer.getLong());
  }

  private Notice check(String field, NotifyClientRequest request) {
    UUID client = switch (request.getClientCase()) {
      case CLIENT_ID -> ClientIdentity.parseClientId(request.getClientId())
          .filter(identity -> identity.domain().equals(domain))
          .map(ClientIdentity::clientUuid)
          .orElseThrow(() -> Refusal.invalidField(field + "client_id", "not a client id of " + domain));
      case CLIENT_UUID -> UUID.fromString(request.getClientUuid());
      case CLIENT_NOT_SET -> throw new IllegalStateException("the request rules require a client");
    };
    Optional<NotificationPolicy> attached = request.hasPolicy()
        ? Optional.of(NotificationPolicies.withDefaults(request.getPolicy()))
        : Optional.empty();
    return new Notice(client, UUID.fromString(request.getNotificationId()), attached, request.getCount(),
        request.getClientListening());
  }
}
