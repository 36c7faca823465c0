package org.homeserver.bench;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.ContentType;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.PrivateMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.Sender;

/**
 * The MLSMessages the benchmarks decode, shaped like real traffic of suite 1: the sizes of keys,
 * tags and signatures are those of that suite; the encrypted parts are random bytes, which a
 * server only copies.
 */
final class SampleMessages {
  static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  static final int CIPHERTEXT_BYTES = 1024;
  static final int ADDS_PER_COMMIT = 10;

  // Sender data is leaf index, generation and reuse guard (12 bytes) plus the AES-GCM tag (16).
  private static final int ENCRYPTED_SENDER_DATA_BYTES = 28;
  private static final int GROUP_ID_BYTES = 32;
  private static final int ED25519_SIGNATURE_BYTES = 64;
  private static final int SHA256_MAC_BYTES = 32;
  private static final long EPOCH = 42;

  private static final SecureRandom RANDOM = new SecureRandom();

  private SampleMessages() {}

  /** An application message with a 1 KiB ciphertext. */
  static byte[] privateMessage() {
    return message(new PrivateMessage(random(GROUP_ID_BYTES), EPOCH, ContentType.APPLICATION, new byte[0],
        random(ENCRYPTED_SENDER_DATA_BYTES), random(CIPHERTEXT_BYTES)));
  }

  /** A member's commit adding ten clients by value, without an UpdatePath (an add-only commit needs none). */
  static byte[] commitWithAdds(Instant now) {
    List<Commit.ProposalOrRef> adds = new ArrayList<>();
    for (int i = 0; i < ADDS_PER_COMMIT; i++) {
      adds.add(new Commit.ByValue(new Proposal.Add(keyPackage(now))));
    }
    FramedContent content = new FramedContent(random(GROUP_ID_BYTES), EPOCH, new Sender.Member(3), new byte[0],
        new FramedContent.CommitBody(new Commit(adds, Optional.empty())));
    return message(new PublicMessage(content, random(ED25519_SIGNATURE_BYTES), Optional.of(random(SHA256_MAC_BYTES)),
        Optional.of(random(SHA256_MAC_BYTES))));
  }

  /** One client's KeyPackage, as uploaded. */
  static byte[] keyPackage(CipherSuite suite, Instant now) {
    return TestKeyPackages.encodeAsMessage(TestKeyPackages.create(suite, clientId(), now));
  }

  private static KeyPackage keyPackage(Instant now) {
    return TestKeyPackages.create(SUITE, clientId(), now);
  }

  // A client id as this homeserver's credentials name clients.
  private static String clientId() {
    return "mimi://example.org/c/alice/" + UUID.randomUUID();
  }

  private static byte[] message(MlsMessage.Body body) {
    return new MlsMessage(MlsMessage.MLS10, body).toBytes();
  }

  private static byte[] random(int length) {
    byte[] bytes = new byte[length];
    RANDOM.nextBytes(bytes);
    return bytes;
  }
}
