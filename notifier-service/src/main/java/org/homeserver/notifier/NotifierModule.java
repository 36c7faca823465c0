package org.homeserver.notifier;

import io.micrometer.core.instrument.Gauge;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.homeserver.api.notifier.v1.EndpointKind;
import org.homeserver.api.notifier.v1.NotifierServiceGrpc;
import org.homeserver.notifier.apns.ApnsCredentials;
import org.homeserver.notifier.apns.ApnsSender;
import org.homeserver.notifier.fcm.FcmCredentials;
import org.homeserver.notifier.fcm.FcmSender;
import org.homeserver.notifier.jobs.JobQueue;
import org.homeserver.notifier.jobs.PostgresJobQueue;
import org.homeserver.notifier.jobs.RedisJobQueue;
import org.homeserver.notifier.push.PushSender;
import org.homeserver.notifier.push.WebhookSender;
import org.homeserver.notifier.webpush.VapidKey;
import org.homeserver.notifier.webpush.WebPushSender;
import org.homeserver.platform.ServiceContext;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.grpc.ServiceModule;
import org.homeserver.platform.grpc.ServiceParts;
import org.homeserver.platform.tasks.Periodic;

/** The composition root of the notifier: builds it from the process's context. */
public final class NotifierModule {
  public static final String NAME = "notifier";
  /** Endpoint registrations and policies are small. */
  private static final long MAX_REQUEST_BYTES = 64 * 1024;
  /** How long a worker holds a job: longer than one push may take, so only dead workers lose theirs. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration CLEANUP_INTERVAL = Duration.ofMinutes(10);

  private NotifierModule() {}

  /** Migrates the notifier schema, makes the VAPID key at the first start, and starts the workers. */
  public static ServiceModule start(ServiceContext context) {
    NotifierSettings settings = context.config().settings(NotifierSettings.SECTION);
    ServiceDatabase database = context.openDatabase(NAME);
    try {
      NotifierStore store = new NotifierStore(database.transactions());
      SecureRandom random = new SecureRandom();
      VapidKey vapid = VapidKey.fromPkcs8(new VapidKeyStore(database.transactions(), context.sealer())
          .settle(() -> VapidKey.generate(random).pkcs8(), context.clock().instant()));
      JobQueue queue = context.redis().<JobQueue>map(redis -> new RedisJobQueue(redis, settings.jobLease()))
          .orElseGet(() -> new PostgresJobQueue(database.transactions(), settings.jobLease()));
      Map<EndpointKind, PushSender> senders = senders(context, settings, vapid, random);
      AddressGuard guard = new AddressGuard(settings.allowLoopbackEndpoints());
      Endpoints endpoints = new Endpoints(store, guard, senders.keySet(),
          settings.apns().map(a -> Set.copyOf(a.topics())).orElse(Set.of()), settings.maxEndpointsPerClient(),
          context.clock());
      Notifications notifications = new Notifications(store, queue, context.domain(), context.clock());
      Pushers pushers = new Pushers(queue, store, senders, guard, settings.pushConcurrency(), context.clock());
      Periodic cleanup = context.tasks().every("notifier-cleanup", CLEANUP_INTERVAL, () -> {
        var before = context.clock().instant().minus(IdempotentRequest.WINDOW);
        store.forgetIdempotencyRecordsBefore(before);
        queue.forgetSeenBefore(before);
      });
      Gauge.builder("notifier_push_jobs_pending", queue, JobQueue::pending)
          .description("Push jobs stored and not finished").register(context.meters());
      return new ServiceParts(NAME, List.of(new NotifierGrpcService(endpoints, new Policies(store), vapid)),
          Set.of(NotifierServiceGrpc.getGetVapidPublicKeyMethod().getFullMethodName()), MAX_REQUEST_BYTES,
          List.of(new NotifierInternalGrpcService(notifications, store, context.domain())), List.of(),
          List.of(pushers, cleanup), List.of(database, queue));
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
  }

  /** A sender for each endpoint kind this homeserver pushes to: Web Push and webhooks always, APNs and FCM when configured. */
  private static Map<EndpointKind, PushSender> senders(ServiceContext context, NotifierSettings settings,
      VapidKey vapid, SecureRandom random) {
    HttpClient http = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(CONNECT_TIMEOUT)
        .version(HttpClient.Version.HTTP_2)
        .build();
    String subject = settings.vapidSubject().orElse("mailto:postmaster@" + context.domain());
    Map<EndpointKind, PushSender> senders = new EnumMap<>(EndpointKind.class);
    senders.put(EndpointKind.ENDPOINT_KIND_WEB_PUSH,
        new WebPushSender(http, vapid, subject, context.clock(), REQUEST_TIMEOUT, random));
    senders.put(EndpointKind.ENDPOINT_KIND_WEBHOOK, new WebhookSender(http, context.clock(), REQUEST_TIMEOUT));
    settings.apns().ifPresent(apns -> senders.put(EndpointKind.ENDPOINT_KIND_APNS, new ApnsSender(http,
        ApnsCredentials.fromPem(apns.teamId(), apns.keyId(), read(NotifierSettings.APNS_KEY_FILE.key(), apns.keyFile())),
        ApnsSender.PRODUCTION, ApnsSender.SANDBOX, context.clock(), REQUEST_TIMEOUT)));
    settings.fcmServiceAccount().ifPresent(file -> senders.put(EndpointKind.ENDPOINT_KIND_FCM, new FcmSender(http,
        FcmCredentials.parse(read(NotifierSettings.FCM_SERVICE_ACCOUNT.key(), file)), FcmSender.GOOGLE, context.clock(),
        REQUEST_TIMEOUT)));
    return senders;
  }

  private static String read(String key, Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new IllegalStateException(key + ": cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
