package org.homeserver.mls.crypto;

import java.util.function.Supplier;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/** The SHA-2 functions that MLS cipher suites and ECDSA signature schemes are built on. */
enum HashAlgorithm {
  SHA256(SHA256Digest::newInstance, 32, 0x0001),
  SHA384(SHA384Digest::new, 48, 0x0002),
  SHA512(SHA512Digest::new, 64, 0x0003);

  private final Supplier<Digest> factory;
  private final int length;
  private final short hkdfHpkeId;

  HashAlgorithm(Supplier<Digest> factory, int length, int hkdfHpkeId) {
    this.factory = factory;
    this.length = length;
    this.hkdfHpkeId = (short) hkdfHpkeId;
  }

  /** A fresh digest: Bouncy Castle digests hold state, so callers never share one. */
  Digest newDigest() {
    return factory.get();
  }

  /** The HPKE identifier of HKDF over this hash (RFC 9180 section 7.2). */
  short hkdfHpkeId() {
    return hkdfHpkeId;
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

  /** HKDF-Expand (RFC 5869 section 2.3) of {@code prk} to {@code length} bytes, at most 255 hash lengths. */
  byte[] hkdfExpand(byte[] prk, byte[] info, int length) {
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(newDigest());
    hkdf.init(HKDFParameters.skipExtractParameters(prk, info));
    byte[] out = new byte[length];
    hkdf.generateBytes(out, 0, length);
    return out;
  }
}
