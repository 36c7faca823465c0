package org.homeserver.mls.welcome;

import java.util.Optional;
import org.homeserver.mls.message.PreSharedKeyId;

/**
 * The pre-shared keys a joiner holds (RFC 9420 section 8.4), looked up by the ids a Welcome's
 * GroupSecrets name: external PSKs agreed out of band, or resumption PSKs of earlier epochs.
 */
@FunctionalInterface
public interface PreSharedKeys {
  /** The value of the PSK {@code id} names (its nonce included in {@code id}), if the joiner has it. */
  Optional<byte[]> find(PreSharedKeyId id);

  /** A joiner without pre-shared keys. */
  static PreSharedKeys none() {
    return id -> Optional.empty();
  }
}
