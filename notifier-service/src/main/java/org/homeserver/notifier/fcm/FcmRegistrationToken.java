package org.homeserver.notifier.fcm;

/**
 * The shape of an FCM registration token (notifier.proto FcmDevice): visible ASCII characters; its
 * length is the field's request rule.
 */
public final class FcmRegistrationToken {
  private FcmRegistrationToken() {}

  /**
   * Whether {@code token} has the shape of a registration token; registration refuses any other.
   * Real tokens are letters, digits and {@code - _ :}; anything visible is let through so that a
   * change of alphabet on Google's side does not lock clients out.
   */
  public static boolean isWellFormed(String token) {
    return !token.isEmpty() && token.chars().allMatch(c -> c > ' ' && c < 0x7f);
  }
}
