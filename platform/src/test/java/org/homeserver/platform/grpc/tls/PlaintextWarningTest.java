package org.homeserver.platform.grpc.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import java.util.List;
import org.homeserver.platform.testing.CapturedLogs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which plaintext public ports get the warning, and what it tells the operator. */
class PlaintextWarningTest {
  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"})
  void loopbackAddressesAreLoopback(String host) {
    assertTrue(PlaintextWarning.isLoopback(host));
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "homeserver.example.org", "localhost.example.org"})
  void otherAddressesAndNamesAreNot(String host) {
    assertFalse(PlaintextWarning.isLoopback(host));
  }

  @Test
  void aPlaintextPortOnEveryInterfaceIsWarnedAboutNamingTheKeysToSet() {
    try (CapturedLogs logs = CapturedLogs.of(PlaintextWarning.class)) {
      PlaintextWarning.unlessLoopback("127.0.0.1");
      assertEquals(List.of(), logs.at(Level.WARN));

      PlaintextWarning.unlessLoopback("0.0.0.0");

      List<String> warnings = logs.at(Level.WARN);
      assertEquals(1, warnings.size(), warnings.toString());
      String warning = warnings.getFirst();
      for (String expected : List.of("PLAINTEXT on 0.0.0.0", "passwords and access tokens", "server.tls.certificate-file",
          "server.tls.key-file")) {
        assertTrue(warning.contains(expected), expected + " in " + warning);
      }
    }
  }
}
