package org.homeserver.platform.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.homeserver.platform.config.ConfigSchema.RegistrationMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir
  Path dir;

  private Path file(String yaml) throws IOException {
    Path f = dir.resolve("homeserver.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  @Test
  void defaultsApplyWithoutAFile() throws ConfigException {
    HomeserverConfig c = new ConfigLoader(Map.of()).load(null, Map.of());
    assertEquals(Optional.empty(), c.domain());
    assertEquals(7400, c.server().port());
    assertEquals("127.0.0.1", c.admin().host());
    assertEquals(RegistrationMode.OPEN, c.auth().registration());
    assertEquals(Duration.ofMinutes(15), c.auth().accessTokenTtl());
    assertEquals(4L * 1024 * 1024, c.maxRequestBytes());
  }

  @Test
  void fileValuesAreReadFromNestedKeys() throws Exception {
    HomeserverConfig c = new ConfigLoader(Map.of()).load(file("""
        domain: example.org
        server:
          port: 9000
          max-request-bytes: 512KiB
        auth:
          registration: invite
          access-token-ttl: 1h
          argon2:
            iterations: 3
        """), Map.of());
    assertEquals(Optional.of("example.org"), c.domain());
    assertEquals(9000, c.server().port());
    assertEquals(512L * 1024, c.maxRequestBytes());
    assertEquals(RegistrationMode.INVITE, c.auth().registration());
    assertEquals(Duration.ofHours(1), c.auth().accessTokenTtl());
    assertEquals(3, c.auth().argon2Iterations());
  }

  @Test
  void environmentOverridesTheFileAndCommandLineOverridesBoth() throws Exception {
    Path f = file("server:\n  port: 9000\ndomain: a.example\n");
    HomeserverConfig c = new ConfigLoader(Map.of("HOMESERVER_SERVER_PORT", "9100",
        "HOMESERVER_AUTH_ACCESS_TOKEN_TTL", "5m", "HOMESERVER_DOMAIN", "b.example"))
        .load(f, Map.of("domain", "c.example"));
    assertEquals(9100, c.server().port());
    assertEquals(Duration.ofMinutes(5), c.auth().accessTokenTtl());
    assertEquals(Optional.of("c.example"), c.domain());
  }

  @Test
  void eachBadValueGivesOneLineNamingTheKeyAndWhatIsAllowed() throws Exception {
    ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(
        Map.of("HOMESERVER_AUTH_REGISTRATION", "maybe")).load(file("""
        domain: Example.ORG
        server:
          port: 70000
        database:
          url: mysql://db
        auth:
          access-token-ttl: forever
        """), Map.of()));
    List<String> problems = e.problems();
    assertEquals(5, problems.size(), String.join("\n", problems));
    assertTrue(problems.contains("config: domain: must be a lower-case DNS name such as example.org "
        + "(got \"Example.ORG\" from " + dir.resolve("homeserver.yaml") + ")"), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("config: server.port: must be an integer from 1 to 65535 (got \"70000\"")));
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("config: database.url: must be empty (embedded PostgreSQL) or a URL")));
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("config: auth.access-token-ttl: must be a duration")));
    assertTrue(problems.contains("config: auth.registration: must be one of open, invite, closed "
        + "(got \"maybe\" from HOMESERVER_AUTH_REGISTRATION)"), problems.toString());
    problems.forEach(p -> assertTrue(!p.contains("\n"), "one line each"));
  }

  @Test
  void unknownKeysAreRefused() throws Exception {
    ConfigException e = assertThrows(ConfigException.class,
        () -> new ConfigLoader(Map.of()).load(file("server:\n  prot: 7400\n"), Map.of()));
    assertEquals(1, e.problems().size());
    assertTrue(e.problems().getFirst().startsWith("config: server.prot: unknown key"), e.getMessage());
  }

  @Test
  void malformedYamlIsOneClearLine() throws Exception {
    ConfigException e = assertThrows(ConfigException.class,
        () -> new ConfigLoader(Map.of()).load(file("server: [unclosed\n"), Map.of()));
    assertEquals(1, e.problems().size());
    assertTrue(e.problems().getFirst().contains("is not valid YAML"), e.getMessage());
  }

  @Test
  void missingFileIsReported() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> new ConfigLoader(Map.of()).load(dir.resolve("nope.yaml"), Map.of()));
    assertTrue(e.getMessage().startsWith("config: cannot read"), e.getMessage());
  }

  @Test
  void externalDatabaseWithoutAKeyEncryptionKeyIsRefused() {
    ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of())
        .load(null, Map.of("database.url", "jdbc:postgresql://db:5432/hs")));
    assertEquals(List.of("config: secrets.key-encryption-key-file: an external database (database.url) needs a "
        + "key-encryption key: set secrets.key-encryption-key-file or secrets.key-encryption-key "
        + "(HOMESERVER_SECRETS_KEY_ENCRYPTION_KEY) on every process; make one with `head -c 32 /dev/urandom | base64`"),
        e.problems());
  }

  @Test
  void keyEncryptionKeyIsGivenAsAFileOrAValueNotBoth() {
    ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(
        Map.of("HOMESERVER_SECRETS_KEY_ENCRYPTION_KEY", "A".repeat(43) + "="))
        .load(null, Map.of("secrets.key-encryption-key-file", "/etc/homeserver/kek")));
    assertEquals(List.of("config: secrets.key-encryption-key: set this or secrets.key-encryption-key-file, not both"),
        e.problems());
  }

  @Test
  void everyKeyHasAnEnvironmentVariableAndADefaultThatPasses() throws ConfigException {
    for (Setting<?> s : ConfigSchema.ALL) {
      assertTrue(s.environmentVariable().matches("HOMESERVER_[A-Z0-9_]+"), s.key());
      s.parse().apply(s.defaultText());
    }
  }
}
