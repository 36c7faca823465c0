package org.homeserver.notifier;

import static org.homeserver.platform.grpc.Replies.reply;

import io.grpc.stub.StreamObserver;
import java.util.List;
import org.homeserver.api.notifier.v1.NotifierInternalServiceGrpc;
import org.homeserver.api.notifier.v1.NotifyClientRequest;
import org.homeserver.api.notifier.v1.NotifyClientResponse;
import org.homeserver.api.notifier.v1.NotifyClientsRequest;
import org.homeserver.api.notifier.v1.NotifyClientsResponse;
import org.homeserver.api.notifier.v1.PurgeClientsRequest;
import org.homeserver.api.notifier.v1.PurgeClientsResponse;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.ids.UserId;

/** The notifier's internal API (notifier_internal.proto): jobs from the delivery service, purges. */
final class NotifierInternalGrpcService extends NotifierInternalServiceGrpc.NotifierInternalServiceImplBase {
  private final Notifications notifications;
  private final NotifierStore store;
  private final String domain;

  NotifierInternalGrpcService(Notifications notifications, NotifierStore store, String domain) {
    this.notifications = notifications;
    this.store = store;
    this.domain = domain;
  }

  @Override
  public void notifyClient(NotifyClientRequest request, StreamObserver<NotifyClientResponse> response) {
    notifications.notify(List.of(request));
    reply(response, NotifyClientResponse.getDefaultInstance());
  }

  @Override
  public void notifyClients(NotifyClientsRequest request, StreamObserver<NotifyClientsResponse> response) {
    notifications.notify(request.getNotificationsList(), request.getCompactList());
    reply(response, NotifyClientsResponse.getDefaultInstance());
  }

  @Override
  public void purgeClients(PurgeClientsRequest request, StreamObserver<PurgeClientsResponse> response) {
    switch (request.getTargetCase()) {
      case USER_ID -> store.purgeUser(UserId.parse(request.getUserId())
          .filter(u -> u.domain().equals(domain))
          .orElseThrow(() -> Refusal.invalidField("user_id", "not a user id of " + domain)).toString());
      case CLIENT_ID -> store.purgeClient(ClientIdentity.parseClientId(request.getClientId())
          .filter(c -> c.domain().equals(domain))
          .orElseThrow(() -> Refusal.invalidField("client_id", "not a client id of " + domain)).clientUuid());
      case TARGET_NOT_SET -> throw new IllegalStateException("the request rules require a target");
    }
    reply(response, PurgeClientsResponse.getDefaultInstance());
  }
}
