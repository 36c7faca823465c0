package org.homeserver.auth;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.auth.v1.AuthServiceGrpc;
import org.homeserver.api.auth.v1.GetAuthenticationRootsResponse;
import org.homeserver.api.federation.v1.FederationInternalServiceGrpc;
import org.homeserver.api.federation.v1.GetRemoteAuthenticationRootsRequest;
import org.homeserver.platform.ServiceContext;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.grpc.ServiceModule;
import org.homeserver.platform.grpc.ServiceParts;
import org.homeserver.platform.ratelimit.RateLimiter;

/** The composition root of the auth service: builds it from the process's context. */
public final class AuthModule {
  public static final String NAME = "auth";
  /** Auth requests are small; anything larger is not a real request. */
  private static final long MAX_REQUEST_BYTES = 64 * 1024;

  /** Calls to another homeserver through the federation gateway give up after this long. */
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private AuthModule() {}

  /** Migrates the auth schema, settles the AS keys (sealed in the database) and builds the services. */
  public static ServiceModule start(ServiceContext context) throws InvalidStoredAuthorityException {
    AuthSettings settings = context.config().settings(AuthSettings.SECTION);
    Clock clock = context.clock();
    SecureRandom random = new SecureRandom();
    ServiceDatabase database = context.openDatabase(NAME);
    try {
      AuthStore store = new AuthStore(database.transactions());
      PrivateKeyStore privateKeys = new PrivateKeyStore(database.transactions(), context.sealer());
      CertificateAuthority authority = CertificateAuthority.restore(privateKeys.settleAuthority(
          () -> CertificateAuthority.generate(context.domain(), clock).stored(), clock.instant()));
      TokenKeys keys = TokenKeys.settle(privateKeys, random, clock);
      PasswordHasher hasher = new PasswordHasher(settings.argon2MemoryKib(), settings.argon2Iterations(),
          settings.argon2Parallelism());
      Duration minute = Duration.ofMinutes(1);
      RateLimiter registrations = RateLimiter.of(context.redis(), "registration",
          settings.registrationRatePerMinute(), minute, clock);
      RateLimiter passwordAttempts = RateLimiter.of(context.redis(), "password", settings.passwordAttemptsPerMinute(),
          minute, clock);
      RateLimiter passwordFailures = RateLimiter.of(context.redis(), "password-failures",
          settings.passwordFailuresPerHour(), Users.FAILURE_WINDOW, clock);
      RateLimiter unknownClients = RateLimiter.of(context.redis(), "unknown-client",
          settings.unknownClientAttemptsPerMinute(), minute, clock);
      RateLimiter challenges = RateLimiter.of(context.redis(), "challenge", settings.challengesPerMinute(), minute, clock);
      TokenRevocations revocations = new TokenRevocations(store, context.revocations(), settings.accessTokenTtl(), clock);

      Users users = new Users(store, hasher, settings.registration(), revocations, passwordAttempts, passwordFailures,
          settings.deletedHandleHold(), context.domain(), clock);
      Clients clients = new Clients(store, users, authority, revocations, settings.credentialValidity(),
          settings.maxClientsPerUser(), clock);
      Sessions sessions = new Sessions(store, clients, keys, settings.accessTokenTtl(), challenges, unknownClients,
          random, clock);
      FederationInternalServiceGrpc.FederationInternalServiceBlockingStub federation =
          FederationInternalServiceGrpc.newBlockingStub(context.channels().channel("federation"));
      AuthenticationRoots roots = new AuthenticationRoots(authority, context.domain(), domain -> {
        var remote = federation.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .getRemoteAuthenticationRoots(GetRemoteAuthenticationRootsRequest.newBuilder().setDestination(domain).build());
        return GetAuthenticationRootsResponse.newBuilder().setDomain(remote.getDomain())
            .addAllRootCertificates(remote.getRootCertificatesList()).build();
      });
      return new ServiceParts(NAME,
          List.of(new AuthGrpcService(users, clients, sessions, roots, registrations, settings.accessTokenTtl(),
              context.process().version())),
          publicMethods(), MAX_REQUEST_BYTES,
          List.of(new AuthInternalGrpcService(users, clients, keys, revocations, roots)),
          List.of(new AdminGrpcService(users, clients, store, context, database, random)),
          List.of(), List.of(database));
    } catch (RuntimeException | InvalidStoredAuthorityException e) {
      database.close();
      throw e;
    }
  }

  private static Set<String> publicMethods() {
    return Set.of(
        AuthServiceGrpc.getGetServerInfoMethod().getFullMethodName(),
        AuthServiceGrpc.getGetAuthenticationRootsMethod().getFullMethodName(),
        AuthServiceGrpc.getRegisterUserMethod().getFullMethodName(),
        AuthServiceGrpc.getRegisterClientMethod().getFullMethodName(),
        AuthServiceGrpc.getCreateChallengeMethod().getFullMethodName(),
        AuthServiceGrpc.getCreateSessionMethod().getFullMethodName());
  }
}
