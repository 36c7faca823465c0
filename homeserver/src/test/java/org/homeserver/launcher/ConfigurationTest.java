package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.homeserver.auth.AuthSettings;
import org.homeserver.auth.RegistrationMode;
import org.homeserver.delivery.DeliverySettings;
import org.homeserver.directory.DirectorySettings;
import org.homeserver.keypackage.KeyPackageSettings;
import org.homeserver.notifier.NotifierSettings;
import org.homeserver.platform.config.ConfigSchema;
import org.homeserver.platform.config.HomeserverConfig;
import org.homeserver.platform.config.Setting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One configuration for a process: the shared keys and the keys every built service declares. */
class ConfigurationTest {
  @TempDir
  Path dir;

  @Test
  void everyKeyHasAnEnvironmentVariableAndADefaultThatPasses() {
    for (Setting<?> s : Homeserver.configLoader(Map.of()).keys()) {
      assertTrue(s.environmentVariable().matches("HOMESERVER_[A-Z0-9_]+"), s.key());
      s.parse().apply(s.defaultText());
    }
  }

  @Test
  void theSharedKeysComeFirstThenEachServicesInStartOrder() {
    List<String> groups = Homeserver.configLoader(Map.of()).keys().stream()
        .skip(ConfigSchema.ALL.size()).map(s -> s.key().substring(0, s.key().indexOf('.'))).distinct().toList();
    assertEquals(Homeserver.SERVICES, groups);
    assertEquals(ConfigSchema.ALL, Homeserver.configLoader(Map.of()).keys().subList(0, ConfigSchema.ALL.size()));
  }

  @Test
  void eachServiceReadsItsOwnKeysFromTheFileAndTheEnvironment() throws Exception {
    Path file = Files.writeString(dir.resolve("homeserver.yaml"), """
        auth:
          registration: closed
        directory:
          prefix-search: true
        keypackage:
          low-threshold: 4
        delivery:
          queue-cap: 50
        notifier:
          push-concurrency: 8
        """);
    HomeserverConfig config = Homeserver.configLoader(Map.of("HOMESERVER_DELIVERY_QUEUE_RETENTION", "2h"))
        .load(file, Map.of());
    assertEquals(RegistrationMode.CLOSED, config.settings(AuthSettings.SECTION).registration());
    assertTrue(config.settings(DirectorySettings.SECTION).prefixSearch());
    assertEquals(4, config.settings(KeyPackageSettings.SECTION).lowThreshold());
    assertEquals(new DeliverySettings(Duration.ofHours(2), 50, 3, 10_000, Duration.ofSeconds(1)),
        config.settings(DeliverySettings.SECTION));
    assertEquals(8, config.settings(NotifierSettings.SECTION).pushConcurrency());
  }
}
