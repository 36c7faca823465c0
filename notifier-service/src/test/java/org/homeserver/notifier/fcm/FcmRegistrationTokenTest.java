package org.homeserver.notifier.fcm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FcmRegistrationTokenTest {
  @Test
  void tokenOfVisibleCharactersIsWellFormed() {
    assertTrue(FcmRegistrationToken.isWellFormed("dGVzdA:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx_xyz"));
    assertTrue(FcmRegistrationToken.isWellFormed("a".repeat(1024)));
  }

  @Test
  void emptyTokenIsMalformed() {
    assertFalse(FcmRegistrationToken.isWellFormed(""));
  }

  @Test
  void tokenWithSpaceControlOrNonAsciiCharactersIsMalformed() {
    assertFalse(FcmRegistrationToken.isWellFormed("abc def"));
    assertFalse(FcmRegistrationToken.isWellFormed("abc\ndef"));
    assertFalse(FcmRegistrationToken.isWellFormed("abc\u007fdef"));
    assertFalse(FcmRegistrationToken.isWellFormed("abc\u00e9def"));
  }
}
