package org.homeserver.notifier.apns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.homeserver.notifier.jose.Pem;
import org.homeserver.notifier.testing.ApnsFake;
import org.junit.jupiter.api.Test;

class ApnsCredentialsTest {
  private final KeyPair teamKey = ApnsFake.newTeamKey();

  @Test
  void p8KeyIsReadFromItsPem() {
    ApnsCredentials credentials = ApnsCredentials.fromPem("TEAM", "KEY", Pem.encode(teamKey.getPrivate()));

    assertEquals(teamKey.getPrivate(), credentials.key());
  }

  @Test
  void keyOfAnotherCurveIsRefused() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp384r1"));
    String p384 = Pem.encode(generator.generateKeyPair().getPrivate());

    assertThrows(IllegalArgumentException.class, () -> ApnsCredentials.fromPem("TEAM", "KEY", p384));
  }

  @Test
  void rsaKeyAndTextWithoutKeyAreRefused() throws GeneralSecurityException {
    String rsa = Pem.encode(KeyPairGenerator.getInstance("RSA").generateKeyPair().getPrivate());

    assertThrows(IllegalArgumentException.class, () -> ApnsCredentials.fromPem("TEAM", "KEY", rsa));
    assertThrows(IllegalArgumentException.class, () -> ApnsCredentials.fromPem("TEAM", "KEY", "no key here"));
  }

  @Test
  void missingTeamOrKeyIdIsRefused() {
    String pem = Pem.encode(teamKey.getPrivate());

    assertThrows(IllegalArgumentException.class, () -> ApnsCredentials.fromPem(" ", "KEY", pem));
    assertThrows(IllegalArgumentException.class, () -> ApnsCredentials.fromPem("TEAM", "", pem));
  }

  @Test
  void textFormNamesTheKeyButNeverShowsIt() {
    ApnsCredentials credentials = ApnsCredentials.fromPem("TEAM", "KEY", Pem.encode(teamKey.getPrivate()));

    assertEquals("ApnsCredentials[teamId=TEAM, keyId=KEY]", credentials.toString());
  }
}
