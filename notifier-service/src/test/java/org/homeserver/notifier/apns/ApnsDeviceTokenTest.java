package org.homeserver.notifier.apns;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ApnsDeviceTokenTest {
  @Test
  void hexOfSixtyFourToTwoHundredCharactersIsWellFormed() {
    assertTrue(ApnsDeviceToken.isWellFormed("0123456789abcdef".repeat(4)));
    assertTrue(ApnsDeviceToken.isWellFormed("ABCDEF0123".repeat(20)));
  }

  @Test
  void tokenShorterThanSixtyFourOrLongerThanTwoHundredIsMalformed() {
    assertFalse(ApnsDeviceToken.isWellFormed(""));
    assertFalse(ApnsDeviceToken.isWellFormed("a".repeat(63)));
    assertFalse(ApnsDeviceToken.isWellFormed("a".repeat(201)));
  }

  @Test
  void tokenWithAnythingButHexDigitsIsMalformed() {
    assertFalse(ApnsDeviceToken.isWellFormed("g" + "a".repeat(63)));
    assertFalse(ApnsDeviceToken.isWellFormed("a".repeat(32) + " " + "a".repeat(31)));
    assertFalse(ApnsDeviceToken.isWellFormed("a".repeat(63) + "/"));
    // Unicode digits (Arabic-Indic, fullwidth) are digits to Character.digit, not to APNs.
    assertFalse(ApnsDeviceToken.isWellFormed("\u0661" + "a".repeat(63)));
    assertFalse(ApnsDeviceToken.isWellFormed("\uff11" + "a".repeat(63)));
  }
}
