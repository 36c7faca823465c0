package org.homeserver.mls.message;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;
import org.junit.jupiter.api.Test;

/**
 * messages.json of the MLS working group: every field of every case decodes and re-encodes to the
 * same bytes. A failure names the case and the field.
 */
class MessagesVectorTest {
  /** How each field of a case decodes, and which wire format it must have if it is an MLSMessage. */
  private record Field(String name, Optional<WireFormat> wireFormat, MlsReader.Decoder<? extends Encodable> decoder) {}

  private static Field message(String name, WireFormat format) {
    return new Field(name, Optional.of(format), MlsMessage::decode);
  }

  private static Field proposal(String name, int type) {
    return new Field(name, Optional.empty(), r -> new BodyOnly(Proposal.decodeBody(r, type)));
  }

  /** A proposal written without its type, as the vectors give them. */
  private record BodyOnly(Proposal proposal) implements Encodable {
    @Override
    public void encode(MlsWriter w) {
      proposal.encodeBody(w);
    }
  }

  private static final List<Field> FIELDS = List.of(
      message("mls_welcome", WireFormat.WELCOME),
      message("mls_group_info", WireFormat.GROUP_INFO),
      message("mls_key_package", WireFormat.KEY_PACKAGE),
      message("public_message_application", WireFormat.PUBLIC_MESSAGE),
      message("public_message_proposal", WireFormat.PUBLIC_MESSAGE),
      message("public_message_commit", WireFormat.PUBLIC_MESSAGE),
      message("private_message", WireFormat.PRIVATE_MESSAGE),
      new Field("ratchet_tree", Optional.empty(), RatchetTree::decode),
      new Field("group_secrets", Optional.empty(), GroupSecrets::decode),
      proposal("add_proposal", Proposal.ADD),
      proposal("update_proposal", Proposal.UPDATE),
      proposal("remove_proposal", Proposal.REMOVE),
      proposal("pre_shared_key_proposal", Proposal.PSK),
      proposal("re_init_proposal", Proposal.REINIT),
      proposal("external_init_proposal", Proposal.EXTERNAL_INIT),
      proposal("group_context_extensions_proposal", Proposal.GROUP_CONTEXT_EXTENSIONS),
      new Field("commit", Optional.empty(), Commit::decode));

  @Test
  void everyFieldOfEveryCaseDecodesAndReencodesToTheSameBytes() {
    List<Map<String, Object>> cases = TestVectors.load("messages.json");
    assertEquals(300, cases.size());
    int checked = 0;
    for (int i = 0; i < cases.size(); i++) {
      Map<String, Object> c = cases.get(i);
      for (Field field : FIELDS) {
        byte[] bytes = TestVectors.hex((String) c.get(field.name()));
        String where = "messages.json case " + i + " field " + field.name();
        Encodable decoded;
        try {
          decoded = MlsReader.decodeAll(bytes, field.name(), field.decoder());
        } catch (MlsDecodeException e) {
          fail(where + " does not decode: " + e.getMessage());
          return;
        }
        if (field.wireFormat().isPresent()) {
          assertEquals(field.wireFormat().get(), ((MlsMessage) decoded).wireFormat(), where);
        }
        byte[] again = decoded.toBytes();
        if (!java.util.Arrays.equals(bytes, again)) {
          fail(where + " re-encodes differently: first difference at byte " + mismatch(bytes, again)
              + "\n expected " + HexFormat.of().formatHex(bytes) + "\n got      " + HexFormat.of().formatHex(again));
        }
        checked++;
      }
    }
    assertEquals(300 * FIELDS.size(), checked);
  }

  @Test
  void vectorsUseEverySenderAndContentTheServerReads() throws MlsDecodeException {
    Map<String, Object> first = TestVectors.load("messages.json").getFirst();
    PublicMessage commit = (PublicMessage) MlsMessage.decode(TestVectors.hex((String) first.get("public_message_commit"))).body();
    assertEquals(ContentType.COMMIT, commit.content().contentType());
    assertEquals(true, commit.confirmationTag().isPresent());
    assertEquals(true, commit.membershipTag().isPresent());
    PublicMessage proposal = (PublicMessage) MlsMessage.decode(TestVectors.hex((String) first.get("public_message_proposal"))).body();
    assertEquals(ContentType.PROPOSAL, proposal.content().contentType());
    assertEquals(false, proposal.confirmationTag().isPresent());
    MlsMessage keyPackage = MlsMessage.decode(TestVectors.hex((String) first.get("mls_key_package")));
    assertArrayEquals(TestVectors.hex((String) first.get("mls_key_package")), keyPackage.toBytes());
  }

  private static int mismatch(byte[] a, byte[] b) {
    int n = java.util.Arrays.mismatch(a, b);
    return n < 0 ? Math.min(a.length, b.length) : n;
  }
}
