package org.homeserver.mls.crypto;

import java.util.function.Supplier;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/** The SHA-2 functions that MLS cipher suites and ECDSA signature schemes are built on. */
enum HashAlgorithm {
  SHA256(SHA256Digest::newInstance, 32),
  SHA384(SHA384Digest::new, 48),
  SHA512(SHA512Digest::new, 64);

  private final Supplier<Digest> factory;
  private final int length;

  HashAlgorithm(Supplier<Digest> factory, int length) {
    this.factory = factory;
    this.length = length;
  }

  /** A fresh digest: Bouncy Castle digests hold state, so callers never share one. */
  Digest newDigest() {
    return factory.get();
  }

  /** The output length in bytes. */
  int length() {
    return length;
  }

  byte[] hash(byte[] input) {
    Digest digest = newDigest();
    digest.update(input, 0, input.length);
    byte[] out = new byte[length];
    digest.doFinal(out, 0);
    return out;
  }

  /** HMAC (RFC 2104) over this hash. */
  byte[] hmac(byte[] key, byte[] input) {
    HMac mac = new HMac(newDigest());
    mac.init(new KeyParameter(key));
    mac.update(input, 0, input.length);
    byte[] out = new byte[length];
    mac.doFinal(out, 0);
    return out;
  }
}
