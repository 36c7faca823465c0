package org.homeserver.mls.crypto;

import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.bouncycastle.crypto.CipherParameters;
import org.bouncycastle.crypto.CryptoException;
import org.bouncycastle.crypto.Signer;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.params.Ed448PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed448PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.signers.Ed448Signer;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.bouncycastle.math.ec.rfc8032.Ed448;

/** Pure EdDSA (RFC 8032) with raw keys: the public key is the encoded point, the private key the seed. */
final class EdDsaSignatures implements SignatureAlgorithm {
  // MLS signs with plain Ed448, whose RFC 8032 context is the empty string.
  private static final byte[] NO_CONTEXT = new byte[0];

  // Full validation: a canonical encoding of a point of prime order, so small-order keys (for which
  // a signature can be forged without the private key) are refused.
  static final EdDsaSignatures ED25519 = new EdDsaSignatures(
      "Ed25519", Ed25519.PUBLIC_KEY_SIZE, Ed25519.SECRET_KEY_SIZE,
      raw -> Optional.ofNullable(Ed25519.validatePublicKeyFullExport(raw, 0)).map(Ed25519PublicKeyParameters::new),
      Ed25519PrivateKeyParameters::new,
      seed -> new Ed25519PrivateKeyParameters(seed).generatePublicKey().getEncoded(),
      Ed25519Signer::new);

  static final EdDsaSignatures ED448 = new EdDsaSignatures(
      "Ed448", Ed448.PUBLIC_KEY_SIZE, Ed448.SECRET_KEY_SIZE,
      raw -> Optional.ofNullable(Ed448.validatePublicKeyFullExport(raw, 0)).map(Ed448PublicKeyParameters::new),
      Ed448PrivateKeyParameters::new,
      seed -> new Ed448PrivateKeyParameters(seed).generatePublicKey().getEncoded(),
      () -> new Ed448Signer(NO_CONTEXT));

  private final String name;
  private final int publicKeyLength;
  private final int privateKeyLength;
  private final Function<byte[], Optional<CipherParameters>> publicKey;
  private final Function<byte[], CipherParameters> privateKey;
  private final Function<byte[], byte[]> derivePublicKey;
  private final Supplier<Signer> newSigner;

  private EdDsaSignatures(String name, int publicKeyLength, int privateKeyLength,
      Function<byte[], Optional<CipherParameters>> publicKey, Function<byte[], CipherParameters> privateKey,
      Function<byte[], byte[]> derivePublicKey, Supplier<Signer> newSigner) {
    this.name = name;
    this.publicKeyLength = publicKeyLength;
    this.privateKeyLength = privateKeyLength;
    this.publicKey = publicKey;
    this.privateKey = privateKey;
    this.derivePublicKey = derivePublicKey;
    this.newSigner = newSigner;
  }

  @Override
  public Optional<VerificationKey> publicKey(byte[] raw) {
    return (raw.length == publicKeyLength ? publicKey.apply(raw) : Optional.<CipherParameters>empty())
        .map(key -> (message, signature) -> {
          Signer verifier = newSigner.get();
          verifier.init(false, key);
          verifier.update(message, 0, message.length);
          // The signer refuses a signature of the wrong length, a non-canonical S and an undecodable R.
          return verifier.verifySignature(signature);
        });
  }

  @Override
  public byte[] sign(byte[] privateKey, byte[] message) {
    Signer signer = newSigner.get();
    signer.init(true, this.privateKey.apply(checkedSeed(privateKey)));
    signer.update(message, 0, message.length);
    try {
      return signer.generateSignature();
    } catch (CryptoException e) {
      // The Signer interface declares it, but EdDSA signing with a well-formed seed cannot fail.
      throw new IllegalStateException(name + " signing failed", e);
    }
  }

  @Override
  public byte[] publicKeyOf(byte[] privateKey) {
    return derivePublicKey.apply(checkedSeed(privateKey));
  }

  private byte[] checkedSeed(byte[] seed) {
    if (seed.length != privateKeyLength) {
      throw new IllegalArgumentException(
          "an " + name + " private key is a " + privateKeyLength + "-byte seed, not " + seed.length + " bytes");
    }
    return seed;
  }
}
