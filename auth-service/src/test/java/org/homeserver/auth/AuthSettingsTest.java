package org.homeserver.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.homeserver.platform.config.ConfigException;
import org.homeserver.platform.config.ConfigLoader;
import org.homeserver.platform.config.HomeserverConfig;
import org.junit.jupiter.api.Test;

/** The auth service's keys as the configuration loader reads them, and the checks between them. */
class AuthSettingsTest {
  private static HomeserverConfig load(Map<String, String> environment, Map<String, String> settings)
      throws ConfigException {
    return new ConfigLoader(environment, List.of(AuthSettings.SECTION)).load(null, settings);
  }

  @Test
  void defaultsAndOverridesReachTheSettings() throws ConfigException {
    AuthSettings defaults = load(Map.of(), Map.of()).settings(AuthSettings.SECTION);
    assertEquals(RegistrationMode.OPEN, defaults.registration());
    assertEquals(Duration.ofMinutes(15), defaults.accessTokenTtl());
    assertEquals(Duration.ofDays(365), defaults.deletedHandleHold());

    AuthSettings set = load(Map.of("HOMESERVER_AUTH_ACCESS_TOKEN_TTL", "5m"),
        Map.of("auth.registration", "invite", "auth.argon2.iterations", "3")).settings(AuthSettings.SECTION);
    assertEquals(RegistrationMode.INVITE, set.registration());
    assertEquals(Duration.ofMinutes(5), set.accessTokenTtl());
    assertEquals(3, set.argon2Iterations());
  }

  @Test
  void aHandleHeldBackForLessThanACredentialLivesIsRefused() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> load(Map.of(), Map.of("auth.credential-validity", "400d", "auth.deleted-handle-hold", "30d")));
    assertEquals(List.of("config: auth.deleted-handle-hold: must be at least auth.credential-validity (400d), or a "
        + "new user could take over a deleted user's still valid credentials"), e.problems());
  }
}
