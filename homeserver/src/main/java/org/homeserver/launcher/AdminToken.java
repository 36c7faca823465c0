package org.homeserver.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import org.homeserver.platform.config.HomeserverConfig;

/**
 * The admin API's bearer token: {@code admin.token} from the configuration, or else one generated
 * once into {@code <data-dir>/admin-token} (readable by its owner only), where the CLI finds it.
 */
final class AdminToken {
  private AdminToken() {}

  static Path file(HomeserverConfig config) {
    return config.dataDir().resolve("admin-token");
  }

  /** The token in force, generating the file if neither it nor a configured token exists. */
  static String settle(HomeserverConfig config) throws IOException {
    Optional<String> existing = read(config);
    if (existing.isPresent()) {
      return existing.get();
    }
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    Path file = file(config);
    Files.createDirectories(file.getParent());
    // Written to a file readable by its owner alone from the start, then moved into place whole.
    Path draft = Files.createTempFile(file.getParent(), "admin-token", ".tmp",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(draft, token + "\n");
    Files.move(draft, file, StandardCopyOption.ATOMIC_MOVE);
    return token;
  }

  /** The configured token, or the generated file's. */
  static Optional<String> read(HomeserverConfig config) throws IOException {
    if (config.adminToken().isPresent()) {
      return config.adminToken();
    }
    Path file = file(config);
    return Files.exists(file) ? Optional.of(Files.readString(file).trim()) : Optional.empty();
  }
}
