package org.homeserver.mls.message;

import java.util.Optional;

/** What a framed message carries (RFC 9420 section 6). */
public enum ContentType {
  APPLICATION(1),
  PROPOSAL(2),
  COMMIT(3);

  private final int code;

  ContentType(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  public static Optional<ContentType> fromCode(int code) {
    for (ContentType t : values()) {
      if (t.code == code) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
