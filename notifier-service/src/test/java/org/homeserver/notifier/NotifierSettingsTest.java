package org.homeserver.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.homeserver.platform.config.ConfigException;
import org.homeserver.platform.config.ConfigLoader;
import org.junit.jupiter.api.Test;

/** The notifier's keys as the configuration loader reads them, and the checks between them. */
class NotifierSettingsTest {
  private static NotifierSettings load(Map<String, String> settings) throws ConfigException {
    return new ConfigLoader(Map.of(), List.of(NotifierSettings.SECTION)).load(null, settings)
        .settings(NotifierSettings.SECTION);
  }

  @Test
  void apnsIsOffUntilItsTeamIsSetAndThenNeedsItsKeyAndTopics() throws ConfigException {
    assertEquals(Optional.empty(), load(Map.of()).apns());
    assertEquals(Optional.of(new NotifierSettings.Apns("TEAM123456", "KEY1234567", Path.of("/etc/apns.p8"),
            List.of("org.example.app", "org.example.beta"))),
        load(Map.of("notifier.apns.team-id", "TEAM123456", "notifier.apns.key-id", "KEY1234567",
            "notifier.apns.key-file", "/etc/apns.p8", "notifier.apns.topics", "org.example.app,org.example.beta")).apns());

    ConfigException e = assertThrows(ConfigException.class, () -> load(Map.of("notifier.apns.team-id", "TEAM123456",
        "notifier.apns.key-id", "KEY1234567")));
    assertEquals(List.of("config: notifier.apns.team-id: APNs needs notifier.apns.key-id, notifier.apns.key-file and "
        + "notifier.apns.topics as well"), e.problems());
  }
}
