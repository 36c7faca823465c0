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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  /** A service module's section as a module declares it: its keys, its settings, a check between them. */
  record Example(int size, Duration every) {
    static final Setting<Integer> SIZE = new Setting<>("example.size", "3", ValueParsers.integer(1, 100),
        "an integer from 1 to 100", "How many.");
    static final Setting<Duration> EVERY = new Setting<>("example.nested.every", "1m",
        ValueParsers.duration(Duration.ofSeconds(1), Duration.ofHours(1)), "a duration from 1s to 1h", "How often.");
    static final ConfigSection<Example> SECTION = new ConfigSection<>("example", List.of(SIZE, EVERY),
        v -> new Example(v.get(SIZE), v.get(EVERY)),
        e -> e.size() > e.every().toSeconds()
            ? List.of("config: example.size: must be at most example.nested.every in seconds") : List.of());
  }

  @TempDir
  Path dir;

  private static ConfigLoader withExample(Map<String, String> environment) {
    return new ConfigLoader(environment, List.of(Example.SECTION));
  }

  private Path file(String yaml) throws IOException {
    Path f = dir.resolve("homeserver.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  @Test
  void defaultsApplyWithoutAFile() throws ConfigException {
    HomeserverConfig c = withExample(Map.of()).load(null, Map.of());
    assertEquals(Optional.empty(), c.domain());
    assertEquals(7400, c.server().port());
    assertEquals("127.0.0.1", c.admin().host());
    assertEquals(4L * 1024 * 1024, c.maxRequestBytes());
    assertEquals(new Example(3, Duration.ofMinutes(1)), c.settings(Example.SECTION));
  }

  @Test
  void fileValuesAreReadFromNestedKeys() throws Exception {
    HomeserverConfig c = withExample(Map.of()).load(file("""
        domain: example.org
        server:
          port: 9000
          max-request-bytes: 512KiB
        example:
          size: 7
          nested:
            every: 1h
        """), Map.of());
    assertEquals(Optional.of("example.org"), c.domain());
    assertEquals(9000, c.server().port());
    assertEquals(512L * 1024, c.maxRequestBytes());
    assertEquals(new Example(7, Duration.ofHours(1)), c.settings(Example.SECTION));
  }

  @Test
  void environmentOverridesTheFileAndCommandLineOverridesBoth() throws Exception {
    Path f = file("server:\n  port: 9000\ndomain: a.example\n");
    HomeserverConfig c = withExample(Map.of("HOMESERVER_SERVER_PORT", "9100",
        "HOMESERVER_EXAMPLE_NESTED_EVERY", "5m", "HOMESERVER_DOMAIN", "b.example"))
        .load(f, Map.of("domain", "c.example", "example.size", "9"));
    assertEquals(9100, c.server().port());
    assertEquals(new Example(9, Duration.ofMinutes(5)), c.settings(Example.SECTION));
    assertEquals(Optional.of("c.example"), c.domain());
  }

  @Test
  void eachBadValueGivesOneLineNamingTheKeyAndWhatIsAllowed() throws Exception {
    ConfigException e = assertThrows(ConfigException.class, () -> withExample(
        Map.of("HOMESERVER_EXAMPLE_SIZE", "many")).load(file("""
        domain: Example.ORG
        server:
          port: 70000
        database:
          url: mysql://db
        example:
          nested:
            every: forever
        """), Map.of()));
    List<String> problems = e.problems();
    assertEquals(5, problems.size(), String.join("\n", problems));
    assertTrue(problems.contains("config: domain: must be a lower-case DNS name such as example.org "
        + "(got \"Example.ORG\" from " + dir.resolve("homeserver.yaml") + ")"), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("config: server.port: must be an integer from 1 to 65535 (got \"70000\"")));
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("config: database.url: must be empty (embedded PostgreSQL) or a URL")));
    assertTrue(problems.contains("config: example.nested.every: must be a duration from 1s to 1h (got \"forever\" from "
        + dir.resolve("homeserver.yaml") + ")"), problems.toString());
    assertTrue(problems.contains("config: example.size: must be an integer from 1 to 100 "
        + "(got \"many\" from HOMESERVER_EXAMPLE_SIZE)"), problems.toString());
    problems.forEach(p -> assertTrue(!p.contains("\n"), "one line each"));
  }

  @Test
  void unknownKeysAreRefused() throws Exception {
    ConfigException e = assertThrows(ConfigException.class,
        () -> withExample(Map.of()).load(file("server:\n  prot: 7400\nexample:\n  sise: 4\n"), Map.of()));
    assertEquals(List.of("config: server.prot: unknown key (in " + dir.resolve("homeserver.yaml")
            + "); see the configuration reference in README.md",
        "config: example.sise: unknown key (in " + dir.resolve("homeserver.yaml")
            + "); see the configuration reference in README.md"), e.problems());
  }

  @Test
  void aSectionsKeysAreUnknownToALoaderNotGivenIt() throws Exception {
    ConfigException e = assertThrows(ConfigException.class,
        () -> new ConfigLoader(Map.of()).load(file("example:\n  size: 4\n"), Map.of()));
    assertTrue(e.problems().getFirst().startsWith("config: example.size: unknown key"), e.getMessage());
    HomeserverConfig shared = new ConfigLoader(Map.of()).load(null, Map.of());
    IllegalStateException notLoaded = assertThrows(IllegalStateException.class, () -> shared.settings(Example.SECTION));
    assertEquals("the configuration was loaded without the example section", notLoaded.getMessage());
  }

  @Test
  void aSectionsChecksBetweenKeysAreReportedWithTheSharedOnes() {
    ConfigException e = assertThrows(ConfigException.class, () -> withExample(Map.of())
        .load(null, Map.of("example.size", "90", "example.nested.every", "1m", "database.url", "jdbc:postgresql://db/hs")));
    assertEquals(2, e.problems().size(), e.getMessage());
    assertTrue(e.problems().getFirst().startsWith("config: secrets.key-encryption-key-file: "), e.getMessage());
    assertEquals("config: example.size: must be at most example.nested.every in seconds", e.problems().getLast());
  }

  @Test
  void aKeyDeclaredTwiceIsAProgrammingError() {
    ConfigSection<String> clash = new ConfigSection<>("clash", List.of(ConfigSchema.SERVER_PORT), v -> "", s -> List.of());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ConfigLoader(Map.of(), List.of(clash)));
    assertEquals("configuration key server.port is declared twice", e.getMessage());
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
  void aRedisClusterIsGivenBySeedNodesSeparatedByCommas() throws Exception {
    HomeserverConfig c = new ConfigLoader(Map.of("HOMESERVER_REDIS_URL", "redis://10.0.0.1:7000, redis://10.0.0.2:7000",
        "HOMESERVER_REDIS_CLUSTER", "true")).load(null, Map.of());
    assertEquals(Optional.of("redis://10.0.0.1:7000,redis://10.0.0.2:7000"), c.redisUrl());
    assertTrue(c.redisCluster());
    HomeserverConfig single = new ConfigLoader(Map.of()).load(null, Map.of("redis.url", "redis://localhost:6379"));
    assertEquals(false, single.redisCluster(), "a single Redis unless redis.cluster says otherwise");
  }

  @Test
  void severalRedisUrlsWithoutRedisClusterAreRefused() {
    ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of())
        .load(null, Map.of("redis.url", "redis://a:7000,redis://b:7000")));
    assertEquals(List.of("config: redis.url: several URLs are the seed nodes of a Redis Cluster: set redis.cluster=true "
        + "(HOMESERVER_REDIS_CLUSTER), or give the one URL of a single Redis"), e.problems());
  }

  @Test
  void aRedisClusterWithoutSeedNodesIsRefused() {
    ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of())
        .load(null, Map.of("redis.cluster", "true")));
    assertEquals(List.of("config: redis.cluster: a Redis Cluster needs its seed nodes in redis.url "
        + "(redis://host:port,redis://host:port)"), e.problems());
  }

  @Test
  void eachSeedNodeMustBeARedisUrl() {
    for (String bad : List.of("redis://a:7000,", "redis://a:7000,http://b:7000", "redis://a:7000,,redis://b:7000",
        "redis://a:notaport")) {
      ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of())
          .load(null, Map.of("redis.url", bad, "redis.cluster", "true")), bad);
      assertEquals(1, e.problems().size(), e.problems().toString());
      assertTrue(e.problems().getFirst().startsWith("config: redis.url: must be empty (in-process signalling), a URL "
          + "redis://host:port, or with redis.cluster URLs separated by commas (got \"" + bad + "\""), e.problems().toString());
    }
  }

  @Test
  void everySharedKeyHasAnEnvironmentVariableAndADefaultThatPasses() {
    for (Setting<?> s : ConfigSchema.ALL) {
      assertTrue(s.environmentVariable().matches("HOMESERVER_[A-Z0-9_]+"), s.key());
      s.parse().apply(s.defaultText());
    }
  }
}
