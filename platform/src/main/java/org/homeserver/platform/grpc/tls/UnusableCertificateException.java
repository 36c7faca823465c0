package org.homeserver.platform.grpc.tls;

import java.nio.file.Path;

/** A certificate or key file the public port cannot serve: the setting, the file and what is wrong with it. */
public final class UnusableCertificateException extends Exception {
  UnusableCertificateException(String setting, Path file, String problem) {
    super(setting + ": " + file + ": " + problem);
  }
}
