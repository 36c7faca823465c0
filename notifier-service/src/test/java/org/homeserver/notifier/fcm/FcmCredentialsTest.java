package org.homeserver.notifier.fcm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.homeserver.notifier.push.JsonBodies;
import org.homeserver.notifier.testing.FcmFake;
import org.homeserver.notifier.testing.PrivateKeyPem;
import org.homeserver.platform.testing.MutableClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class FcmCredentialsTest {
  private static final FcmFake FCM = FcmFake.start(new MutableClock());
  private static final ObjectNode KEY_FILE = (ObjectNode) JsonBodies.parse(FCM.serviceAccountJson());

  @AfterAll
  static void close() {
    FCM.close();
  }

  @Test
  void serviceAccountKeyFileIsRead() {
    FcmCredentials credentials = FcmCredentials.parse(FCM.serviceAccountJson());

    assertEquals(FcmFake.PROJECT_ID, credentials.projectId());
    assertEquals(FcmFake.CLIENT_EMAIL, credentials.clientEmail());
    assertEquals("RSA", credentials.privateKey().getAlgorithm());
    assertEquals(FCM.tokenUri(), credentials.tokenUri());
  }

  @Test
  void keyFileWithoutTokenUriUsesGooglesEndpoint() {
    FcmCredentials credentials = FcmCredentials.parse(without("token_uri"));

    assertEquals(URI.create("https://oauth2.googleapis.com/token"), credentials.tokenUri());
  }

  @Test
  void keyFileWithoutProjectEmailOrKeyIsRefusedNamingWhatIsMissing() {
    for (String member : new String[] {"project_id", "client_email", "private_key"}) {
      IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
          () -> FcmCredentials.parse(without(member)));
      assertEquals("the service account key has no " + member, refused.getMessage());
    }
  }

  @Test
  void keyFileOfAnotherKindIsRefused() {
    assertEquals("not a service account key: type \"authorized_user\"", assertThrows(IllegalArgumentException.class,
        () -> FcmCredentials.parse(with("type", "authorized_user"))).getMessage());
    for (String notAnObject : new String[] {"not json", "[]", "", "{\"project_id\": 1} {}"}) {
      assertEquals("a service account key is a JSON object",
          assertThrows(IllegalArgumentException.class, () -> FcmCredentials.parse(notAnObject)).getMessage(), notAnObject);
    }
  }

  @Test
  void ecKeyIsRefused() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    String ec = PrivateKeyPem.of(generator.generateKeyPair().getPrivate());

    assertEquals("the PEM block holds no PKCS#8 RSA private key",
        assertThrows(IllegalArgumentException.class, () -> FcmCredentials.parse(with("private_key", ec))).getMessage());
  }

  @Test
  void plainHttpTokenEndpointIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> FcmCredentials.parse(with("token_uri", "http://oauth2.googleapis.com/token")));
  }

  @Test
  void projectIdThatWouldBendTheRequestPathIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> FcmCredentials.parse(with("project_id", "a/../b")));
  }

  @Test
  void textFormNeverShowsTheKey() {
    String text = FcmCredentials.parse(FCM.serviceAccountJson()).toString();

    assertEquals("FcmCredentials[projectId=" + FcmFake.PROJECT_ID + ", clientEmail=" + FcmFake.CLIENT_EMAIL
        + ", tokenUri=" + FCM.tokenUri() + "]", text);
  }

  private static String without(String member) {
    ObjectNode file = KEY_FILE.deepCopy();
    file.remove(member);
    return JsonBodies.write(file);
  }

  private static String with(String member, String value) {
    return JsonBodies.write(KEY_FILE.deepCopy().put(member, value));
  }
}
