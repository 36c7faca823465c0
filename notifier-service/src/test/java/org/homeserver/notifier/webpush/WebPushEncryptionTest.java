package org.homeserver.notifier.webpush;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import org.homeserver.notifier.testing.InvalidPush;
import org.homeserver.notifier.testing.SubscriptionKeys;
import org.junit.jupiter.api.Test;

class WebPushEncryptionTest {
  // RFC 8291 section 5 and appendix A: the worked example, every value base64url.
  private static final String PLAINTEXT = "When I grow up, I want to be a watermelon";
  private static final String AS_PRIVATE = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
  private static final String AS_PUBLIC =
      "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
  private static final String UA_PRIVATE = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
  private static final String UA_PUBLIC =
      "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
  private static final String SALT = "DGv6ra1nlYgDCS1FRnbzlw";
  private static final String AUTH = "BTBZMqHH6r4Tts7J_aSIgg";
  private static final String ECDH_SECRET = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs";
  private static final String IKM = "S4lYMb_L0FxCeq0WhDx813KgSYqU26kOyzWUdsXYyrg";
  private static final String CEK = "oIhVW04MRdy2XN9CiKLxTg";
  private static final String NONCE = "4h_95klXJ5E_qnoN";
  private static final String BODY = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml"
      + "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT"
      + "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

  private final SecureRandom random = new SecureRandom();

  @Test
  void encryptionReproducesTheRfc8291Example() {
    byte[] body = WebPushEncryption.encrypt(PLAINTEXT.getBytes(StandardCharsets.UTF_8), b64(UA_PUBLIC), b64(AUTH),
        keyPair(AS_PRIVATE, AS_PUBLIC), b64(SALT));

    assertEquals(BODY, Base64.getUrlEncoder().withoutPadding().encodeToString(body));
  }

  @Test
  void keyDerivationStepsMatchTheRfc8291Example() {
    byte[] ecdhSecret = P256.sharedSecret(P256.privateKey(b64(AS_PRIVATE)), P256.publicKey(b64(UA_PUBLIC)));
    ContentKey key = ContentKey.derive(ecdhSecret, b64(AUTH), b64(UA_PUBLIC), b64(AS_PUBLIC), b64(SALT));

    assertArrayEquals(b64(ECDH_SECRET), ecdhSecret);
    assertArrayEquals(b64(IKM), ContentKey.inputKeyingMaterial(ecdhSecret, b64(AUTH), b64(UA_PUBLIC), b64(AS_PUBLIC)));
    assertArrayEquals(b64(CEK), key.cek());
    assertArrayEquals(b64(NONCE), key.nonce());
  }

  @Test
  void publicPointIsDerivedFromThePrivateScalar() {
    assertArrayEquals(b64(AS_PUBLIC), P256.publicPoint(P256.privateKey(b64(AS_PRIVATE))));
    assertArrayEquals(b64(UA_PUBLIC), P256.publicPoint(P256.privateKey(b64(UA_PRIVATE))));
  }

  @Test
  void receiverDecryptsTheRfc8291ExampleBody() throws InvalidPush {
    SubscriptionKeys userAgent = SubscriptionKeys.of(keyPair(UA_PRIVATE, UA_PUBLIC), b64(AUTH));

    assertEquals(PLAINTEXT, new String(userAgent.decrypt(b64(BODY)), StandardCharsets.UTF_8));
  }

  @Test
  void receiverDecryptsWhatWasEncryptedForIt() throws InvalidPush {
    SubscriptionKeys userAgent = SubscriptionKeys.generate(random);
    byte[] plaintext = "{\"id\":\"n-1\",\"count\":2,\"kind\":\"alert\"}".getBytes(StandardCharsets.UTF_8);

    byte[] body = WebPushEncryption.encrypt(plaintext, userAgent.p256dh(), userAgent.auth(), random);

    assertArrayEquals(plaintext, userAgent.decrypt(body));
  }

  @Test
  void headerCarriesSaltRecordSizeAndAFreshSenderKey() {
    SubscriptionKeys userAgent = SubscriptionKeys.generate(random);

    ByteBuffer first = ByteBuffer.wrap(WebPushEncryption.encrypt(new byte[] {1}, userAgent.p256dh(), userAgent.auth(), random));
    ByteBuffer second = ByteBuffer.wrap(WebPushEncryption.encrypt(new byte[] {1}, userAgent.p256dh(), userAgent.auth(), random));

    assertEquals(4096, first.getInt(16));
    assertEquals(65, first.get(20));
    assertFalse(Arrays.equals(slice(first, 0, 16), slice(second, 0, 16)), "salt reused");
    assertFalse(Arrays.equals(slice(first, 21, 65), slice(second, 21, 65)), "sender key reused");
    assertArrayEquals(slice(first, 21, 65), P256.encode(P256.publicKey(slice(first, 21, 65))), "keyid is a P-256 point");
  }

  @Test
  void bodyEncryptedForAnotherSubscriptionDoesNotDecrypt() {
    SubscriptionKeys intended = SubscriptionKeys.generate(random);
    SubscriptionKeys other = SubscriptionKeys.generate(random);

    byte[] body = WebPushEncryption.encrypt(new byte[] {1, 2, 3}, intended.p256dh(), intended.auth(), random);

    assertThrows(InvalidPush.class, () -> other.decrypt(body));
  }

  @Test
  void tamperedBodyDoesNotDecrypt() {
    SubscriptionKeys userAgent = SubscriptionKeys.generate(random);
    byte[] body = WebPushEncryption.encrypt(new byte[] {1, 2, 3}, userAgent.p256dh(), userAgent.auth(), random);
    body[body.length - 1] ^= 1;

    InvalidPush refused = assertThrows(InvalidPush.class, () -> userAgent.decrypt(body));
    assertTrue(refused.getMessage().contains("does not decrypt"), refused.getMessage());
  }

  @Test
  void subscriptionKeyNotOnTheCurveIsRejected() {
    byte[] offCurve = b64(UA_PUBLIC);
    offCurve[64] ^= 1;

    var error = assertThrows(IllegalArgumentException.class,
        () -> WebPushEncryption.encrypt(new byte[1], offCurve, b64(AUTH), random));
    assertTrue(error.getMessage().contains("not a point on P-256"), error.getMessage());
  }

  @Test
  void subscriptionKeyThatIsNotAnUncompressedPointIsRejected() {
    byte[] compressed = Arrays.copyOf(b64(UA_PUBLIC), 33);
    compressed[0] = 0x02;
    byte[] wrongPrefix = b64(UA_PUBLIC);
    wrongPrefix[0] = 0x05;

    for (byte[] bad : new byte[][] {compressed, wrongPrefix, new byte[0], Arrays.copyOf(b64(UA_PUBLIC), 66)}) {
      assertThrows(IllegalArgumentException.class, () -> WebPushEncryption.encrypt(new byte[1], bad, b64(AUTH), random));
    }
  }

  @Test
  void authSecretOfOtherThanSixteenBytesIsRejected() {
    for (int length : new int[] {0, 15, 17, 32}) {
      var error = assertThrows(IllegalArgumentException.class,
          () -> WebPushEncryption.encrypt(new byte[1], b64(UA_PUBLIC), new byte[length], random));
      assertTrue(error.getMessage().contains("auth secret"), error.getMessage());
    }
  }

  @Test
  void plaintextLargerThanOneRecordIsRejected() throws InvalidPush {
    SubscriptionKeys userAgent = SubscriptionKeys.generate(random);
    byte[] largest = new byte[WebPushEncryption.MAX_PLAINTEXT];

    byte[] body = WebPushEncryption.encrypt(largest, userAgent.p256dh(), userAgent.auth(), random);

    assertEquals(4096, body.length);
    assertArrayEquals(largest, userAgent.decrypt(body));
    assertThrows(IllegalArgumentException.class,
        () -> WebPushEncryption.encrypt(new byte[largest.length + 1], userAgent.p256dh(), userAgent.auth(), random));
  }

  private static KeyPair keyPair(String privateScalar, String publicPoint) {
    return new KeyPair(P256.publicKey(b64(publicPoint)), P256.privateKey(b64(privateScalar)));
  }

  private static byte[] slice(ByteBuffer buffer, int from, int length) {
    return Arrays.copyOfRange(buffer.array(), from, from + length);
  }

  private static byte[] b64(String base64Url) {
    return Base64.getUrlDecoder().decode(base64Url);
  }
}
