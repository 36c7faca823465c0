package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.homeserver.api.auth.v1.ListClientsRequest;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.launcher.HomeserverLifecycleTest.Cli;
import org.homeserver.platform.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator's {@code homeserver admin} commands against a running homeserver. */
class AdminCliTest {
  @TempDir
  Path dir;

  @Test
  void operatorListsShowsSuspendsUnsuspendsAndDeletesUsers() throws Exception {
    int adminPort = TestHomeserver.freePort();
    String db = TestPostgres.freshDatabase().jdbcUrl();
    Path file = dir.resolve("homeserver.yaml");
    Files.writeString(file, "data-dir: " + dir + "\nadmin:\n  port: " + adminPort + "\n");
    try (TestHomeserver hs = TestHomeserver.start(TestHomeserver.configFor(db, dir,
        Map.of("admin.port", Integer.toString(adminPort), "admin.token", ""))
        , java.util.List.of())) {
      hs.registerUser("alice");
      hs.registerUser("bob");
      var client = hs.registerClient("bob", SignatureScheme.ED25519);
      String token = hs.session(client);
      String config = file.toString();

      Cli status = Cli.run("--config", config, "admin", "status");
      assertEquals(0, status.status(), status.err());
      assertTrue(status.out().contains("domain:      example.org"), status.out());
      assertTrue(status.out().contains("users:       2"), status.out());
      assertTrue(status.out().contains("database:    external (ok)"), status.out());

      Cli list = Cli.run("--config", config, "admin", "users", "list");
      assertEquals(0, list.status(), list.err());
      assertEquals(2, list.out().lines().count(), list.out());
      assertTrue(list.out().lines().findFirst().orElseThrow().startsWith("mimi://example.org/u/alice "), list.out());

      Cli show = Cli.run("--config", config, "admin", "users", "show", "bob@example.org");
      assertEquals(0, show.status(), show.err());
      assertTrue(show.out().contains("client " + client.clientId()), show.out());

      Cli suspend = Cli.run("--config", config, "admin", "users", "suspend", "bob");
      assertEquals(0, suspend.status(), suspend.err());
      assertTrue(suspend.out().contains("state=suspended"), suspend.out());
      Failures.assertFails(io.grpc.Status.Code.UNAUTHENTICATED, ErrorReason.TOKEN_REVOKED,
          () -> hs.auth(token).listClients(ListClientsRequest.getDefaultInstance()));

      Cli unsuspend = Cli.run("--config", config, "admin", "users", "unsuspend", "bob");
      assertTrue(unsuspend.out().contains("state=active"), unsuspend.out());
      hs.session(client);

      Cli invite = Cli.run("--config", config, "admin", "invites", "create", "--note", "for carol");
      assertEquals(0, invite.status(), invite.err());
      Cli invites = Cli.run("--config", config, "admin", "invites", "list");
      assertEquals(invite.out(), invites.out());

      Cli delete = Cli.run("--config", config, "admin", "users", "delete", "bob");
      assertEquals(0, delete.status(), delete.err());
      Cli missing = Cli.run("--config", config, "admin", "users", "show", "bob");
      assertEquals(1, missing.status());
      assertEquals("error: NOT_FOUND USER_NOT_FOUND: no user bob", missing.err().strip());

      Cli wrongToken = Cli.run("--config", config, "admin", "--token", "x".repeat(40), "status");
      assertEquals(1, wrongToken.status());
      assertTrue(wrongToken.err().startsWith("error: UNAUTHENTICATED TOKEN_INVALID"), wrongToken.err());
    }
  }
}
