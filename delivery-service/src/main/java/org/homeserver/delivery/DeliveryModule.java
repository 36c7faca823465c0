package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.Gauge;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.homeserver.api.auth.v1.AuthInternalServiceGrpc;
import org.homeserver.api.auth.v1.GetAuthenticationRootsRequest;
import org.homeserver.api.delivery.v1.CommitBundle;
import org.homeserver.api.directory.v1.DirectoryInternalServiceGrpc;
import org.homeserver.api.notifier.v1.NotifierInternalServiceGrpc;
import org.homeserver.api.directory.v1.GetRelationshipsRequest;
import org.homeserver.api.directory.v1.Relationship;
import org.homeserver.api.directory.v1.RelationshipInfo;
import org.homeserver.api.federation.v1.EnqueueRequest;
import org.homeserver.api.federation.v1.FederationInternalServiceGrpc;
import org.homeserver.api.keypackage.v1.KeyPackageInternalServiceGrpc;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.homeserver.platform.ServiceContext;
import org.homeserver.platform.clients.RegisteredClients;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.grpc.DeclaredRules;
import org.homeserver.platform.grpc.ForbiddenDomains;
import org.homeserver.platform.grpc.ServiceModule;
import org.homeserver.platform.grpc.ServiceParts;
import org.homeserver.platform.tasks.Periodic;

/** The composition root of the delivery service: builds it from the process's context. */
public final class DeliveryModule {
  public static final String NAME = "delivery";
  /** A whole commit bundle (delivery.proto); the request framing around it is small. */
  private static final long MAX_REQUEST_BYTES = DeclaredRules.maxBytes(CommitBundle.getDescriptor()) + 64 * 1024;
  /** How often the retention pass runs. */
  private static final Duration RETENTION_INTERVAL = Duration.ofMinutes(10);
  /** How often released bodies are swept. */
  private static final Duration SWEEP_INTERVAL = Duration.ofSeconds(5);
  /** How often queues the notifier was not told of are handed over again. */
  /** The task that hands the notifier again what it did not take ({@link NotifierHandoff#sweep}). */
  public static final String NOTIFICATION_SWEEP = "notification-sweep";
  private static final Duration NOTIFICATION_SWEEP_INTERVAL = Duration.ofSeconds(10);
  /** How far a KeyPackage's lifetime may be off, for clocks that differ. */
  private static final Duration LIFETIME_TOLERANCE = Duration.ofHours(1);
  /** Calls to the other services' internal APIs give up after this long. */
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private DeliveryModule() {}

  /** Migrates the delivery schema and builds the services. */
  public static ServiceModule start(ServiceContext context) {
    DeliverySettings settings = context.config().settings(DeliverySettings.SECTION);
    ServiceDatabase database = context.openDatabase(NAME);
    try {
      var db = database.transactions();
      QueueSignals signals = new QueueSignals(context.signals());
      GroupStore groupStore = new GroupStore(db);
      GroupLogStore groupLog = new GroupLogStore(db);
      Queues queues = new Queues(new QueueStore(db), groupLog, signals, context.clock(),
          new QueueLimits(settings.queueRetention(), settings.queueCap()));
      Groups groups = new Groups(groupStore, groupLog, context.clock());
      RegisteredClients registry = RegisteredClients.of(
          AuthInternalServiceGrpc.newBlockingStub(context.channels().channel("auth")), DEADLINE);
      LocalClients local = new LocalClients(context.domain());
      AddedClients.Relationships relationships = new DirectoryRelationships(
          DirectoryInternalServiceGrpc.newBlockingStub(context.channels().channel("directory")));
      AuthInternalServiceGrpc.AuthInternalServiceBlockingStub auth =
          AuthInternalServiceGrpc.newBlockingStub(context.channels().channel("auth"));
      // Another domain's AS roots come through the federation gateway (the auth service asks it).
      LeafCredentials credentials = new LeafCredentials(registry, domain -> auth
          .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .getAuthenticationRoots(GetAuthenticationRootsRequest.newBuilder()
              .setDomain(domain.equals(context.domain()) ? "" : domain).build())
          .getRootCertificatesList().stream().map(ByteString::toByteArray).toList(), context.domain(), context.clock());
      FederationInternalServiceGrpc.FederationInternalServiceBlockingStub federation =
          FederationInternalServiceGrpc.newBlockingStub(context.channels().channel("federation"));
      FederationLink link = new FederationLinkOverGrpc(federation,
          KeyPackageInternalServiceGrpc.newBlockingStub(context.channels().channel("keypackage")), DEADLINE);
      KeyPackageValidator keyPackages = new KeyPackageValidator(EnumSet.allOf(CipherSuite.class), LIFETIME_TOLERANCE,
          context.clock());
      AddedClients added = new AddedClients(keyPackages, credentials, relationships, context.domain(),
          link::federatesWith);
      GroupStates states = new GroupStates(keyPackages, credentials::clientOf);
      ListenStreams listeners = new ListenStreams(queues, groupLog, signals, context.signals(), context.revocations(),
          context.clock());
      NotifierHandoff handoff = new NotifierHandoff(
          NotifierInternalServiceGrpc.newBlockingStub(context.channels().channel("notifier")), queues, groupLog,
          listeners::listening, context.clock());
      Publisher publisher = new Publisher(listeners, signals, handoff);
      FederationStore federationStore = new FederationStore();
      FanOut fanOut = new FanOut(db, federationStore, groupStore, groupLog, states, queues, publisher, link,
          context.domain(), settings.federationLaneLimit(), context.tasks(), settings.federationSweep(),
          context.clock());
      FollowedGroups followed = new FollowedGroups(db, federationStore, groupStore, groupLog, queues, publisher, link,
          registry, local, context.tasks(), settings.federationSweep(), context.clock());
      Sends sends = new Sends(db, groupStore, states, groupLog, queues, added, credentials,
          settings.applicationEpochWindow(), local, publisher, federationStore, fanOut, followed, context.clock());
      Acks acks = new Acks(db, queues, publisher);
      Periodic sweep = context.tasks().every(NOTIFICATION_SWEEP, NOTIFICATION_SWEEP_INTERVAL, handoff::sweep);
      Gauge.builder("delivery_listen_streams", listeners, ListenStreams::count)
          .description("Live Listen streams in this process").register(context.meters());
      HostedGroups hosted = new HostedGroups(db, groups, states, credentials, queues, publisher, registry, relationships,
          local, federationStore, fanOut, followed, link, context.clock());
      GroupEvents events = new GroupEvents(queues, publisher, groups, registry, local, (destination, event) ->
          ForbiddenDomains.skipIfForbidden(destination, "an event", () ->
              federation.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS).enqueue(
                  EnqueueRequest.newBuilder().setDestination(destination).setEvent(event).build())));
      return new ServiceParts(NAME, List.of(new DeliveryGrpcService(hosted, sends, queues, acks, listeners)), Set.of(),
          MAX_REQUEST_BYTES, List.of(new DeliveryInternalGrpcService(events,
              new Purges(db, groups, groupLog, queues, registry, local),
              new RelayedOperations(sends, hosted, groups, context.clock()), fanOut, followed)), List.of(),
          List.of(QueueMaintenance.start(context.tasks(), queues, RETENTION_INTERVAL, SWEEP_INTERVAL), sends, acks, listeners, handoff,
              sweep, fanOut, followed),
          List.of(database));
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
  }

  /**
   * What users are to each other, from the directory's internal API. A user who blocked the asking
   * one is none of these to it, whatever its request looks like to the asking user.
   */
  private record DirectoryRelationships(DirectoryInternalServiceGrpc.DirectoryInternalServiceBlockingStub directory)
      implements AddedClients.Relationships {
    private static final Set<Relationship> MAY_ADD = Set.of(Relationship.RELATIONSHIP_SELF,
        Relationship.RELATIONSHIP_CONNECTED, Relationship.RELATIONSHIP_REQUEST_SENT);

    @Override
    public Set<String> mayAdd(String user, Collection<String> others) {
      return having(user, others, MAY_ADD);
    }

    @Override
    public Set<String> connected(String user, Collection<String> others) {
      return having(user, others, Set.of(Relationship.RELATIONSHIP_CONNECTED));
    }

    private Set<String> having(String user, Collection<String> others, Set<Relationship> wanted) {
      if (others.isEmpty()) {
        return Set.of();
      }
      return directory.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .getRelationships(GetRelationshipsRequest.newBuilder().setUserId(user).addAllOtherUserIds(others).build())
          .getRelationshipsList().stream()
          .filter(r -> wanted.contains(r.getRelationship()) && !r.getBlockedByOther())
          .map(RelationshipInfo::getOtherUserId)
          .collect(Collectors.toSet());
    }
  }
}
