package org.homeserver.platform.grpc.tls;

import java.net.InetAddress;
import org.homeserver.platform.config.ConfigSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The warning a plaintext public port gets when it listens beyond this machine. */
public final class PlaintextWarning {
  private static final Logger log = LoggerFactory.getLogger(PlaintextWarning.class);

  private PlaintextWarning() {}

  /** Warns, at start, unless {@code host} (server.host) is a loopback address. */
  public static void unlessLoopback(String host) {
    if (!isLoopback(host)) {
      log.warn("""
          THE PUBLIC PORT IS PLAINTEXT on {}: the client API, passwords and access tokens included, \
          travels unencrypted. Set {} and {} (PEM files) for TLS, or listen on a loopback address behind \
          a proxy that terminates TLS.""", host, ConfigSchema.TLS_CERTIFICATE_FILE.key(), ConfigSchema.TLS_KEY_FILE.key());
    }
  }

  /** 127.0.0.0/8, ::1 and localhost; any other name counts as reachable (it is not looked up). */
  static boolean isLoopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    try {
      return InetAddress.ofLiteral(host.startsWith("[") && host.endsWith("]")
          ? host.substring(1, host.length() - 1) : host).isLoopbackAddress();
    } catch (IllegalArgumentException notALiteral) {
      return false;
    }
  }
}
