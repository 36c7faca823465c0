package org.homeserver.notifier.apns;

import java.util.regex.Pattern;
import org.homeserver.api.notifier.v1.ApnsDevice;
import org.homeserver.platform.grpc.DeclaredRules;

/** The shape of an APNs device token, as notifier.proto's ApnsDevice.device_token rule declares it. */
public final class ApnsDeviceToken {
  private static final Pattern SHAPE = Pattern.compile(DeclaredRules.field(ApnsDevice.getDescriptor(),
      ApnsDevice.DEVICE_TOKEN_FIELD_NUMBER).getString().getPattern());

  private ApnsDeviceToken() {}

  /** Whether {@code token} has the shape of a device token; registration refuses any other. */
  public static boolean isWellFormed(String token) {
    return SHAPE.matcher(token).matches();
  }
}
