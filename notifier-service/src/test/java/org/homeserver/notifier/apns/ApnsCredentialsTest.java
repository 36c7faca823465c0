package org.homeserver.notifier.apns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.homeserver.notifier.testing.ApnsFake;
import org.homeserver.notifier.testing.PrivateKeyPem;
import org.junit.jupiter.api.Test;

class ApnsCredentialsTest {
  private final KeyPair teamKey = ApnsFake.newTeamKey();

  @Test
  void p8KeyIsReadFromItsPem() {
    ApnsCredentials credentials = ApnsCredentials.fromPem("TEAM", "KEY", PrivateKeyPem.of(teamKey.getPrivate()));

    assertEquals(teamKey.getPrivate(), credentials.key());
  }

  @Test
  void keyOfAnotherCurveIsRefused() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp384r1"));
    String p384 = PrivateKeyPem.of(generator.generateKeyPair().getPrivate());

    assertThrows(IllegalArgumentException.class, () -> ApnsCredentials.fromPem("TEAM", "KEY", p384));
  }

  @Test
  void rsaKeyIsRefusedSayingItIsNoEcKey() throws GeneralSecurityException {
    String rsa = PrivateKeyPem.of(KeyPairGenerator.getInstance("RSA").generateKeyPair().getPrivate());

    assertEquals("the PEM block holds no PKCS#8 EC private key",
        assertThrows(IllegalArgumentException.class, () -> ApnsCredentials.fromPem("TEAM", "KEY", rsa)).getMessage());
  }

  @Test
  void textWithoutAPrivateKeyBlockIsRefusedSayingSo() {
    String publicKeyOnly = "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder().encodeToString(teamKey.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n";

    for (String text : new String[] {"no key here", "", publicKeyOnly}) {
      assertEquals("the key's text holds no -----BEGIN PRIVATE KEY----- block",
          assertThrows(IllegalArgumentException.class, () -> ApnsCredentials.fromPem("TEAM", "KEY", text)).getMessage(),
          text);
    }
  }

  @Test
  void damagedBlockIsRefusedWithoutQuotingIt() {
    String pem = PrivateKeyPem.of(teamKey.getPrivate());
    String secret = pem.lines().skip(1).findFirst().orElseThrow();
    String truncated = pem.replace(secret, secret.substring(0, 20));
    String notBase64 = pem.replace(secret, secret.substring(0, 20) + "!!!!" + secret.substring(24));

    for (String damaged : new String[] {truncated, notBase64}) {
      String message = assertThrows(IllegalArgumentException.class,
          () -> ApnsCredentials.fromPem("TEAM", "KEY", damaged)).getMessage();
      assertTrue(message.equals("the PEM block holds no PKCS#8 EC private key")
          || message.equals("the key's text is not valid PEM"), message);
      assertFalse(message.contains(secret.substring(0, 8)), message);
    }
  }

  @Test
  void missingTeamOrKeyIdIsRefused() {
    String pem = PrivateKeyPem.of(teamKey.getPrivate());

    assertThrows(IllegalArgumentException.class, () -> ApnsCredentials.fromPem(" ", "KEY", pem));
    assertThrows(IllegalArgumentException.class, () -> ApnsCredentials.fromPem("TEAM", "", pem));
  }

  @Test
  void textFormNamesTheKeyButNeverShowsIt() {
    ApnsCredentials credentials = ApnsCredentials.fromPem("TEAM", "KEY", PrivateKeyPem.of(teamKey.getPrivate()));

    assertEquals("ApnsCredentials[teamId=TEAM, keyId=KEY]", credentials.toString());
  }
}
