package org.homeserver.notifier.apns;

/** The shape of an APNs device token (notifier.proto ApnsDevice): hex, 64 to 200 characters. */
public final class ApnsDeviceToken {
  private static final int MIN_LENGTH = 64;
  private static final int MAX_LENGTH = 200;

  private ApnsDeviceToken() {}

  /** Whether {@code token} has the shape of a device token; registration refuses any other. */
  public static boolean isWellFormed(String token) {
    if (token.length() < MIN_LENGTH || token.length() > MAX_LENGTH) {
      return false;
    }
    return token.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
  }
}
