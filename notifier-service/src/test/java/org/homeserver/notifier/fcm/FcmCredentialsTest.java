package org.homeserver.notifier.fcm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import org.homeserver.notifier.jose.Json;
import org.homeserver.notifier.jose.Pem;
import org.homeserver.notifier.testing.FcmFake;
import org.homeserver.platform.testing.MutableClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class FcmCredentialsTest {
  private static final FcmFake FCM = FcmFake.start(new MutableClock());
  private static final Map<String, Object> KEY_FILE = Json.parseObject(FCM.serviceAccountJson()).orElseThrow();

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
    FcmCredentials credentials = FcmCredentials.parse(Json.write(without("token_uri")));

    assertEquals(URI.create("https://oauth2.googleapis.com/token"), credentials.tokenUri());
  }

  @Test
  void keyFileWithoutProjectEmailOrKeyIsRefusedNamingWhatIsMissing() {
    for (String member : new String[] {"project_id", "client_email", "private_key"}) {
      IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
          () -> FcmCredentials.parse(Json.write(without(member))));
      assertEquals("the service account key has no " + member, refused.getMessage());
    }
  }

  @Test
  void keyFileOfAnotherKindIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> FcmCredentials.parse(Json.write(with("type", "authorized_user"))));
    assertThrows(IllegalArgumentException.class, () -> FcmCredentials.parse("not json"));
    assertThrows(IllegalArgumentException.class, () -> FcmCredentials.parse("[]"));
  }

  @Test
  void ecKeyIsRefused() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    String ec = Pem.encode(generator.generateKeyPair().getPrivate());

    assertThrows(IllegalArgumentException.class, () -> FcmCredentials.parse(Json.write(with("private_key", ec))));
  }

  @Test
  void plainHttpTokenEndpointIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> FcmCredentials.parse(Json.write(with("token_uri", "http://oauth2.googleapis.com/token"))));
  }

  @Test
  void projectIdThatWouldBendTheRequestPathIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> FcmCredentials.parse(Json.write(with("project_id", "a/../b"))));
  }

  @Test
  void textFormNeverShowsTheKey() {
    String text = FcmCredentials.parse(FCM.serviceAccountJson()).toString();

    assertEquals("FcmCredentials[projectId=" + FcmFake.PROJECT_ID + ", clientEmail=" + FcmFake.CLIENT_EMAIL
        + ", tokenUri=" + FCM.tokenUri() + "]", text);
  }

  private static Map<String, Object> without(String member) {
    Map<String, Object> file = new LinkedHashMap<>(KEY_FILE);
    file.remove(member);
    return file;
  }

  private static Map<String, Object> with(String member, Object value) {
    Map<String, Object> file = new LinkedHashMap<>(KEY_FILE);
    file.put(member, value);
    return file;
  }
}
