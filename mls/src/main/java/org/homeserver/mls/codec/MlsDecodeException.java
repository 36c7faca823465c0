package org.homeserver.mls.codec;

/**
 * The one error the codec raises for input it refuses: which field, at which byte offset, and why.
 * Decoding never throws anything else for bad input.
 */
public final class MlsDecodeException extends Exception {
  private final String field;
  private final int offset;
  private final String reason;

  public MlsDecodeException(String field, int offset, String reason) {
    super(field + " at offset " + offset + ": " + reason, null, false, false);
    this.field = field;
    this.offset = offset;
    this.reason = reason;
  }

  /** The dotted path of the field, e.g. {@code key_package.leaf_node.capabilities.versions}. */
  public String field() {
    return field;
  }

  /** The offset in the input where the field (or the problem) starts. */
  public int offset() {
    return offset;
  }

  public String reason() {
    return reason;
  }
}
