package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.homeserver.api.admin.v1.DependencyStatus;
import org.homeserver.api.admin.v1.GetStatusRequest;
import org.homeserver.api.auth.v1.ListClientsRequest;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.api.directory.v1.DiscoverUserRequest;
import org.homeserver.platform.grpc.ErrorStatus;
import org.homeserver.platform.testing.Eventually;
import org.homeserver.platform.testing.RedisProcess;
import org.junit.jupiter.api.Test;

/**
 * What clients and the operator see while a dependency is away: with Redis gone, sign-in and
 * discovery keep working and health stays SERVING while status and metrics name Redis; with the
 * database refusing connections, health says NOT_SERVING and calls get UNAVAILABLE, not INTERNAL.
 * Both come back by themselves.
 */
class DependencyOutagesTest {
  private static final Duration NOTICE = Duration.ofSeconds(10);

  @Test
  void withRedisGoneEveryoneCanStillSignInAndOnlyStatusAndMetricsSaySo() throws Exception {
    try (RedisProcess redis = RedisProcess.start();
         TestHomeserver server = TestHomeserver.withRedis(Map.of("redis.url", redis.url()))) {
      server.registerUser("alice");
      redis.kill();
      Eventually.until("status says Redis is down", NOTICE, () -> !dependency(server, "redis").getUp());
      assertEquals(ServingStatus.SERVING, health(server, ""));
      assertTrue(server.metrics().contains("homeserver_dependency_up{dependency=\"redis\"} 0.0"), server.metrics());

      // Registration, a new client, a session and a lookup: each has a rate limit kept in Redis.
      server.registerUser("bob");
      TestMember bob = TestMember.register(server, "bob");
      TestHomeserver.TestClient second = server.registerClient("alice", SignatureScheme.ED25519);
      String token = server.session(second);
      assertEquals(1, server.auth(token).listClients(ListClientsRequest.getDefaultInstance()).getClientsCount());
      assertEquals("mimi://example.org/u/alice", bob.directory().discoverUser(DiscoverUserRequest.newBuilder()
          .setQuery("alice@example.org").build()).getProfile().getUserId());

      redis.restart();
      Eventually.until("status says Redis is back", NOTICE, () -> dependency(server, "redis").getUp());
      assertTrue(server.metrics().contains("homeserver_dependency_up{dependency=\"redis\"} 1.0"));
    }
  }

  @Test
  void withTheDatabaseRefusingConnectionsHealthSaysNotServingAndCallsAreUnavailable() throws Exception {
    try (TestHomeserver server = TestHomeserver.start(Map.of())) {
      String url = server.config.database().url().orElseThrow();
      String name = url.substring(url.lastIndexOf('/') + 1);
      try (Connection admin = DriverManager.getConnection(url.substring(0, url.lastIndexOf('/') + 1) + "postgres",
               "postgres", "");
           Statement sql = admin.createStatement()) {
        server.registerUser("alice");
        sql.execute("alter database " + name + " allow_connections false");
        sql.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = '" + name + "'");
        try {
          Eventually.until("health says NOT_SERVING", NOTICE, () -> health(server, "") == ServingStatus.NOT_SERVING);
          assertEquals(ServingStatus.NOT_SERVING, health(server, "homeserver.auth.v1.AuthService"));
          StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
              () -> server.registerUser("bob"));
          assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
          assertEquals("UNAVAILABLE", ErrorStatus.errorInfo(e).orElseThrow().getReason());
        } finally {
          sql.execute("alter database " + name + " allow_connections true");
        }
      }
      Eventually.until("health says SERVING again", NOTICE, () -> health(server, "") == ServingStatus.SERVING);
      server.registerUser("bob");
    }
  }

  private static DependencyStatus dependency(TestHomeserver server, String name) {
    return server.admin().getStatus(GetStatusRequest.getDefaultInstance()).getDependenciesList().stream()
        .filter(d -> d.getName().equals(name)).findFirst().orElseThrow();
  }

  private static ServingStatus health(TestHomeserver server, String service) {
    return HealthGrpc.newBlockingStub(server.channel).check(HealthCheckRequest.newBuilder().setService(service).build())
        .getStatus();
  }

}
