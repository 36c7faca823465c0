package org.homeserver.mls.crypto;

import java.util.function.Supplier;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.AEADCipher;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The AEADs of the MLS cipher suites, with their HPKE identifiers (RFC 9180 section 7.3): all take a
 * 12-byte nonce and add a 16-byte tag.
 */
enum AeadAlgorithm {
  AES_128_GCM(0x0001, 16, () -> GCMBlockCipher.newInstance(AESEngine.newInstance())),
  AES_256_GCM(0x0002, 32, () -> GCMBlockCipher.newInstance(AESEngine.newInstance())),
  CHACHA20_POLY1305(0x0003, 32, ChaCha20Poly1305::new);

  private static final int NONCE_LENGTH = 12;
  private static final int TAG_BITS = 128;

  private final short hpkeId;
  private final int keyLength;
  private final Supplier<AEADCipher> factory;

  AeadAlgorithm(int hpkeId, int keyLength, Supplier<AEADCipher> factory) {
    this.hpkeId = (short) hpkeId;
    this.keyLength = keyLength;
    this.factory = factory;
  }

  short hpkeId() {
    return hpkeId;
  }

  /** Nk: the key length in bytes. */
  int keyLength() {
    return keyLength;
  }

  /** Nn: the nonce length in bytes. */
  int nonceLength() {
    return NONCE_LENGTH;
  }

  byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
    try {
      return run(true, key, nonce, aad, plaintext);
    } catch (InvalidCipherTextException e) {
      throw new IllegalStateException("sealing cannot fail to authenticate", e);
    }
  }

  byte[] open(byte[] key, byte[] nonce, byte[] aad, byte[] ciphertext) throws DecryptionFailedException {
    try {
      return run(false, key, nonce, aad, ciphertext);
    } catch (InvalidCipherTextException e) {
      throw new DecryptionFailedException(this + " ciphertext does not authenticate under the key and nonce");
    }
  }

  /** A fresh cipher per call: Bouncy Castle ciphers hold state, so callers never share one. */
  private byte[] run(boolean encrypt, byte[] key, byte[] nonce, byte[] aad, byte[] input)
      throws InvalidCipherTextException {
    if (key.length != keyLength || nonce.length != NONCE_LENGTH) {
      throw new IllegalArgumentException(this + " takes a " + keyLength + "-byte key and a " + NONCE_LENGTH
          + "-byte nonce, not " + key.length + " and " + nonce.length);
    }
    AEADCipher cipher = factory.get();
    cipher.init(encrypt, new AEADParameters(new KeyParameter(key), TAG_BITS, nonce, aad));
    byte[] out = new byte[cipher.getOutputSize(input.length)];
    int written = cipher.processBytes(input, 0, input.length, out, 0);
    cipher.doFinal(out, written);
    return out;
  }
}
