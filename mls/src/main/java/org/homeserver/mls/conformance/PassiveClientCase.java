package org.homeserver.mls.conformance;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.PreSharedKeyId;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.message.Welcome;
import org.homeserver.mls.welcome.PreSharedKeys;
import org.homeserver.mls.welcome.WelcomeDecryption;
import org.homeserver.mls.welcome.WelcomeDecryptionException;

/**
 * One case of the MLS working group's passive-client test vectors (passive-client-welcome.json,
 * passive-client-handling-commit.json, passive-client-random.json), as bytes: what a passive client
 * is given to join a group by its Welcome, then the messages of each epoch it follows. The
 * epoch authenticators and the keys only a client uses are left out: a server cannot check them.
 *
 * @param index          the case's position in its file, from 0
 * @param cipherSuite    the suite the vector names (RFC 9420 code)
 * @param keyPackage     the joiner's KeyPackage, as an MLSMessage (as the files have it) or bare (as
 *                       the format's description says)
 * @param welcome        MLSMessage(Welcome)
 * @param initPrivateKey the KeyPackage's HPKE init private key
 * @param ratchetTree    the ratchet tree (optional&lt;Node&gt; vector), or empty when the GroupInfo carries it
 * @param externalPsks   the external PSKs the joiner holds
 * @param epochs         in order, each epoch's proposals and commit
 */
public record PassiveClientCase(int index, int cipherSuite, byte[] keyPackage, byte[] welcome, byte[] initPrivateKey,
                                Optional<byte[]> ratchetTree, List<ExternalPsk> externalPsks, List<Epoch> epochs) {

  /** An external PSK (RFC 9420 section 8.4): its id and its value. */
  public record ExternalPsk(byte[] pskId, byte[] psk) {}

  /** One epoch: its proposals by reference and its commit, each an MLSMessage. */
  public record Epoch(List<byte[]> proposals, byte[] commit) {
    public Epoch {
      proposals = List.copyOf(proposals);
    }
  }

  public PassiveClientCase {
    externalPsks = List.copyOf(externalPsks);
    epochs = List.copyOf(epochs);
  }

  /**
   * The Welcome's GroupInfo, decrypted as the passive client does: a server would be handed the
   * GroupInfo instead, so the init key only stands in for that. Throws IllegalArgumentException if
   * the init key is not an HPKE private key of the suite.
   */
  public GroupInfo groupInfo() throws MlsDecodeException, WelcomeDecryptionException {
    if (!(MlsMessage.decode(welcome).body() instanceof Welcome w)) {
      throw new MlsDecodeException("welcome", 2, "the MLSMessage is not a Welcome");
    }
    return WelcomeDecryption.decrypt(w, decodedKeyPackage(), initPrivateKey, preSharedKeys()).groupInfo();
  }

  /** The vector's ratchet tree; empty when the GroupInfo's ratchet_tree extension carries it. */
  public Optional<RatchetTree> decodedRatchetTree() throws MlsDecodeException {
    return ratchetTree.isEmpty() ? Optional.empty()
        : Optional.of(MlsReader.decodeAll(ratchetTree.get(), "ratchet_tree", RatchetTree::decode));
  }

  private KeyPackage decodedKeyPackage() throws MlsDecodeException {
    try {
      if (MlsMessage.decode(keyPackage).body() instanceof MlsMessage.KeyPackageBody(KeyPackage k)) {
        return k;
      }
      throw new MlsDecodeException("key_package", 2, "the MLSMessage is not a KeyPackage");
    } catch (MlsDecodeException asMessage) {
      try {
        return MlsReader.decodeAll(keyPackage, "key_package", KeyPackage::decode);
      } catch (MlsDecodeException bare) {
        throw asMessage;
      }
    }
  }

  private PreSharedKeys preSharedKeys() {
    return id -> id.kind() instanceof PreSharedKeyId.External e
        ? externalPsks.stream().filter(p -> Arrays.equals(p.pskId(), e.pskId())).map(ExternalPsk::psk).findFirst()
        : Optional.empty();
  }
}
