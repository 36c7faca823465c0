package org.homeserver.mls.message;

import java.util.Locale;
import java.util.Optional;

/** The five wire formats of an MLSMessage (RFC 9420 section 6). */
public enum WireFormat {
  PUBLIC_MESSAGE(1),
  PRIVATE_MESSAGE(2),
  WELCOME(3),
  GROUP_INFO(4),
  KEY_PACKAGE(5);

  private final int code;

  WireFormat(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** As RFC 9420 spells it: {@code mls_public_message} and so on. */
  public String rfcName() {
    return "mls_" + name().toLowerCase(Locale.ROOT);
  }

  public static Optional<WireFormat> fromCode(int code) {
    for (WireFormat f : values()) {
      if (f.code == code) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }
}
