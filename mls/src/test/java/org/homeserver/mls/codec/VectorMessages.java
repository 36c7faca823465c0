package org.homeserver.mls.codec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.Encodable;
import org.homeserver.mls.message.GroupSecrets;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.message.WireFormat;

/** Every message of the working-group vectors, each with the decoder its field calls for: a fuzzing corpus. */
final class VectorMessages {
  /** The root name MlsMessage.decode(byte[]) uses. */
  static final String MLS_MESSAGE = "mls_message";

  private VectorMessages() {}

  /**
   * One vector message.
   *
   * @param origin             file, case and field, for failure messages
   * @param root               the name decoding starts under, as in {@link MlsReader#decodeAll}
   * @param contentTypeOffset  where a PublicMessage's or PrivateMessage's content_type byte is, or -1
   */
  record Message(String origin, String root, MlsReader.Decoder<? extends Encodable> decoder, byte[] bytes,
                 int contentTypeOffset) {
    boolean isMlsMessage() {
      return root.equals(MLS_MESSAGE);
    }

    Encodable decode(byte[] input) throws MlsDecodeException {
      return MlsReader.decodeAll(input, root, decoder);
    }
  }

  /** A proposal as the vectors give it, without its type; re-encodes the body alone. */
  record ProposalBody(Proposal proposal) implements Encodable {
    @Override
    public void encode(MlsWriter w) {
      proposal.encodeBody(w);
    }
  }

  /**
   * All fields of all cases of messages.json; key packages, welcomes, trees, proposals and commits of
   * welcome.json and the passive-client files; the trees of tree-validation.json.
   */
  static List<Message> all() {
    List<Message> all = new ArrayList<>();
    List<Map<String, Object>> messages = TestVectors.load("messages.json");
    for (int i = 0; i < messages.size(); i++) {
      for (Map.Entry<String, Object> field : messages.get(i).entrySet()) {
        all.add(message("messages.json case " + i + " " + field.getKey(), field.getKey(), (String) field.getValue()));
      }
    }
    for (String file : List.of("welcome.json", "passive-client-welcome.json", "passive-client-handling-commit.json")) {
      addPassiveClientCase(all, file);
    }
    List<Map<String, Object>> trees = TestVectors.load("tree-validation.json");
    for (int i = 0; i < trees.size(); i++) {
      all.add(message("tree-validation.json case " + i + " tree", "ratchet_tree", (String) trees.get(i).get("tree")));
    }
    return List.copyOf(all);
  }

  @SuppressWarnings("unchecked")
  private static void addPassiveClientCase(List<Message> all, String file) {
    List<Map<String, Object>> cases = TestVectors.load(file);
    for (int i = 0; i < cases.size(); i++) {
      Map<String, Object> c = cases.get(i);
      String where = file + " case " + i + " ";
      all.add(message(where + "key_package", "mls_key_package", (String) c.get("key_package")));
      all.add(message(where + "welcome", "mls_welcome", (String) c.get("welcome")));
      if (c.get("ratchet_tree") instanceof String tree) {
        all.add(message(where + "ratchet_tree", "ratchet_tree", tree));
      }
      List<Map<String, Object>> epochs = (List<Map<String, Object>>) c.getOrDefault("epochs", List.of());
      for (int e = 0; e < epochs.size(); e++) {
        List<String> proposals = (List<String>) epochs.get(e).get("proposals");
        for (int p = 0; p < proposals.size(); p++) {
          all.add(message(where + "epoch " + e + " proposal " + p, "public_message_proposal", proposals.get(p)));
        }
        all.add(message(where + "epoch " + e + " commit", "public_message_commit", (String) epochs.get(e).get("commit")));
      }
    }
  }

  /** The message of a field named as in messages.json, with that field's decoder. */
  private static Message message(String origin, String field, String hex) {
    byte[] bytes = TestVectors.hex(hex);
    return switch (field) {
      case "mls_welcome", "mls_group_info", "mls_key_package", "public_message_application",
           "public_message_proposal", "public_message_commit", "private_message" ->
          new Message(origin, MLS_MESSAGE, MlsMessage::decode, bytes, contentTypeOffset(origin, bytes));
      case "ratchet_tree" -> new Message(origin, field, RatchetTree::decode, bytes, -1);
      case "group_secrets" -> new Message(origin, field, GroupSecrets::decode, bytes, -1);
      case "commit" -> new Message(origin, field, Commit::decode, bytes, -1);
      case "add_proposal" -> proposal(origin, field, Proposal.ADD, bytes);
      case "update_proposal" -> proposal(origin, field, Proposal.UPDATE, bytes);
      case "remove_proposal" -> proposal(origin, field, Proposal.REMOVE, bytes);
      case "pre_shared_key_proposal" -> proposal(origin, field, Proposal.PSK, bytes);
      case "re_init_proposal" -> proposal(origin, field, Proposal.REINIT, bytes);
      case "external_init_proposal" -> proposal(origin, field, Proposal.EXTERNAL_INIT, bytes);
      case "group_context_extensions_proposal" -> proposal(origin, field, Proposal.GROUP_CONTEXT_EXTENSIONS, bytes);
      // A field the vectors gain later must not silently drop out of the corpus.
      default -> throw new IllegalStateException(origin + ": no decoder for field " + field);
    };
  }

  private static Message proposal(String origin, String field, int type, byte[] bytes) {
    return new Message(origin, field, r -> new ProposalBody(Proposal.decodeBody(r, type)), bytes, -1);
  }

  // Reads the framing up to content_type: version, wire_format, group_id, epoch, then for a
  // PublicMessage the sender and authenticated_data.
  private static int contentTypeOffset(String origin, byte[] bytes) {
    try {
      MlsReader r = MlsReader.of(bytes);
      r.u16("version");
      int wireFormat = r.u16("wire_format");
      if (wireFormat != WireFormat.PUBLIC_MESSAGE.code() && wireFormat != WireFormat.PRIVATE_MESSAGE.code()) {
        return -1;
      }
      r.opaque("group_id");
      r.u64("epoch");
      if (wireFormat == WireFormat.PUBLIC_MESSAGE.code()) {
        int sender = r.u8("sender_type");
        if (sender == 1 || sender == 2) {
          r.u32("index");
        }
        r.opaque("authenticated_data");
      }
      return r.position();
    } catch (MlsDecodeException e) {
      throw new IllegalStateException(origin + " is not an MLSMessage: " + e.getMessage(), e);
    }
  }
}
