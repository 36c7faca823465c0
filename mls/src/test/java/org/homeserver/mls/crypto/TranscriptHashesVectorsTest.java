package org.homeserver.mls.crypto;

import static org.homeserver.mls.TestVectors.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.message.AuthenticatedContent;
import org.homeserver.mls.message.ConfirmedTranscriptHashInput;
import org.homeserver.mls.message.ContentType;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.InterimTranscriptHashInput;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.WireFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The transcript hashes and the confirmation tag of a commit (RFC 9420 section 8) against every suite
 * of the working group's transcript-hashes.json.
 */
class TranscriptHashesVectorsTest {
  private static final List<Map<String, Object>> CASES = TestVectors.load("transcript-hashes.json");

  record Case(CipherSuite suite, byte[] confirmationKey, byte[] authenticatedContent, byte[] interimBefore,
              byte[] confirmedAfter, byte[] interimAfter) {
    AuthenticatedContent commit() throws MlsDecodeException {
      return MlsReader.decodeAll(authenticatedContent, "authenticated_content", AuthenticatedContent::decode);
    }

    byte[] confirmationTag() throws MlsDecodeException {
      return commit().confirmationTag().orElseThrow();
    }

    byte[] confirmedOf(AuthenticatedContent commit) {
      return TranscriptHashes.confirmed(suite, interimBefore, ConfirmedTranscriptHashInput.of(commit).toBytes());
    }

    @Override
    public String toString() {
      return suite.name();
    }
  }

  static Stream<Case> cases() {
    return CASES.stream().map(c -> new Case(TestVectors.suite(c), hex((String) c.get("confirmation_key")),
        hex((String) c.get("authenticated_content")), hex((String) c.get("interim_transcript_hash_before")),
        hex((String) c.get("confirmed_transcript_hash_after")), hex((String) c.get("interim_transcript_hash_after"))));
  }

  @Test
  void vectorsCoverAllSevenSuitesOnce() {
    TestVectors.assertOneCasePerSuite(CASES);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void authenticatedContentDecodesAsAPublicCommitAndReencodesExactly(Case c) throws MlsDecodeException {
    AuthenticatedContent commit = c.commit();
    assertEquals(WireFormat.PUBLIC_MESSAGE, commit.wireFormat());
    assertEquals(ContentType.COMMIT, commit.content().contentType());
    assertArrayEquals(c.authenticatedContent(), commit.toBytes());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void confirmationTagIsTheMacOfTheConfirmedTranscriptHashAfter(Case c) throws MlsDecodeException {
    assertEquals(c.suite().hashLength(), c.confirmationTag().length);
    assertTrue(TranscriptHashes.confirmationTagMatches(c.suite(), c.confirmationKey(), c.confirmedAfter(),
        c.confirmationTag()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void confirmedTranscriptHashAfterIsReproducedFromTheInterimBefore(Case c) throws MlsDecodeException {
    assertArrayEquals(c.confirmedAfter(), c.confirmedOf(c.commit()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void interimTranscriptHashAfterIsReproducedFromTheConfirmedHash(Case c) throws MlsDecodeException {
    byte[] interim = TranscriptHashes.interim(c.suite(), c.confirmedOf(c.commit()),
        InterimTranscriptHashInput.of(c.commit()).toBytes());
    assertArrayEquals(c.interimAfter(), interim);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void thePublicMessageAroundTheCommitGivesBackTheVectorsAuthenticatedContent(Case c) throws MlsDecodeException {
    AuthenticatedContent commit = c.commit();
    byte[] membershipTag = new byte[c.suite().hashLength()];
    byte[] message = new MlsMessage(MlsMessage.MLS10, new PublicMessage(commit.content(), commit.signature(),
        commit.confirmationTag(), Optional.of(membershipTag))).toBytes();
    PublicMessage received = (PublicMessage) MlsMessage.decode(message).body();
    assertArrayEquals(c.authenticatedContent(), received.authenticatedContent());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void flippedBitInSignatureChangesTheConfirmedHash(Case c) throws MlsDecodeException {
    AuthenticatedContent commit = c.commit();
    for (int i = 0; i < commit.signature().length; i++) {
      AuthenticatedContent forged = new AuthenticatedContent(commit.wireFormat(), commit.content(),
          TestBytes.flipBit(commit.signature(), i * 8 + i % 8), commit.confirmationTag());
      assertFalse(Arrays.equals(c.confirmedAfter(), c.confirmedOf(forged)), "signature byte " + i);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void flippedBitInConfirmationTagFailsTheCheck(Case c) throws MlsDecodeException {
    byte[] tag = c.confirmationTag();
    for (int i = 0; i < tag.length; i++) {
      byte[] flipped = TestBytes.flipBit(tag, i * 8 + i % 8);
      assertFalse(TranscriptHashes.confirmationTagMatches(c.suite(), c.confirmationKey(), c.confirmedAfter(), flipped),
          "confirmation tag byte " + i);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void flippedBitInConfirmedHashFailsTheCheck(Case c) throws MlsDecodeException {
    byte[] confirmed = TestBytes.flipBit(c.confirmedAfter(), 0);
    assertFalse(
        TranscriptHashes.confirmationTagMatches(c.suite(), c.confirmationKey(), confirmed, c.confirmationTag()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void aWireFormatThatCarriesNoFramedContentIsRefused(Case c) throws MlsDecodeException {
    AuthenticatedContent commit = c.commit();
    IllegalArgumentException built = assertThrows(IllegalArgumentException.class, () -> new AuthenticatedContent(
        WireFormat.WELCOME, commit.content(), commit.signature(), commit.confirmationTag()));
    assertEquals("mls_welcome carries no FramedContent", built.getMessage());
    byte[] welcome = c.authenticatedContent().clone();
    welcome[1] = (byte) WireFormat.WELCOME.code();
    MlsDecodeException e = assertThrows(MlsDecodeException.class,
        () -> MlsReader.decodeAll(welcome, "authenticated_content", AuthenticatedContent::decode));
    assertEquals("authenticated_content.wire_format", e.field());
    assertEquals(0, e.offset());
    assertEquals("is 3 (mls_welcome); framed content is sent as mls_public_message (1) or mls_private_message (2)",
        e.reason());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void aCommitWithoutItsConfirmationTagIsRefused(Case c) throws MlsDecodeException {
    AuthenticatedContent commit = c.commit();
    byte[] cut = Arrays.copyOf(c.authenticatedContent(), c.authenticatedContent().length - c.suite().hashLength() - 1);
    MlsDecodeException e = assertThrows(MlsDecodeException.class,
        () -> MlsReader.decodeAll(cut, "authenticated_content", AuthenticatedContent::decode));
    assertEquals("authenticated_content.confirmation_tag", e.field());
    IllegalArgumentException built = assertThrows(IllegalArgumentException.class, () -> new AuthenticatedContent(
        commit.wireFormat(), commit.content(), commit.signature(), Optional.empty()));
    assertEquals("a confirmation tag comes with a commit and only with a commit", built.getMessage());
  }

  @Test
  void aProposalEntersNoTranscript() throws MlsDecodeException {
    AuthenticatedContent commit = cases().findFirst().orElseThrow().commit();
    FramedContent content = commit.content();
    AuthenticatedContent proposal = new AuthenticatedContent(commit.wireFormat(), new FramedContent(content.groupId(),
        content.epoch(), content.sender(), content.authenticatedData(), new FramedContent.ProposalBody(
        new Proposal.Remove(1))), commit.signature(), Optional.empty());
    IllegalArgumentException confirmed = assertThrows(IllegalArgumentException.class,
        () -> ConfirmedTranscriptHashInput.of(proposal));
    assertEquals("only a commit enters the transcript, not a proposal", confirmed.getMessage());
    IllegalArgumentException interim = assertThrows(IllegalArgumentException.class,
        () -> InterimTranscriptHashInput.of(proposal));
    assertEquals("only a commit has a confirmation tag, not a proposal", interim.getMessage());
  }
}
