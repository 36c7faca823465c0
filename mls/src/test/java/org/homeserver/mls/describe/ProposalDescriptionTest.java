package org.homeserver.mls.describe;

import static org.homeserver.mls.describe.MessageDescriptionTest.map;
import static org.homeserver.mls.describe.MessageDescriptionTest.validatorAt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.message.PreSharedKeyId;
import org.homeserver.mls.message.Proposal;
import org.junit.jupiter.api.Test;

/** Proposals by type name with their key fields, on every proposal of messages.json. */
class ProposalDescriptionTest {
  private record Expected(String field, int type, String name, List<String> keys) {}

  private static final List<Expected> STANDARD = List.of(
      new Expected("add_proposal", Proposal.ADD, "add", List.of("type", "key_package")),
      new Expected("update_proposal", Proposal.UPDATE, "update", List.of("type", "leaf_node")),
      new Expected("remove_proposal", Proposal.REMOVE, "remove", List.of("type", "removed")),
      new Expected("pre_shared_key_proposal", Proposal.PSK, "psk", List.of("type", "psk")),
      new Expected("re_init_proposal", Proposal.REINIT, "reinit",
          List.of("type", "group_id", "version", "cipher_suite", "extensions")),
      new Expected("external_init_proposal", Proposal.EXTERNAL_INIT, "external_init", List.of("type", "kem_output")),
      new Expected("group_context_extensions_proposal", Proposal.GROUP_CONTEXT_EXTENSIONS, "group_context_extensions",
          List.of("type", "extensions")));

  @Test
  void everyStandardProposalIsNamedWithItsKeyFields() throws MlsDecodeException {
    Set<Object> pskTypes = new HashSet<>();
    for (Map<String, Object> c : TestVectors.load("messages.json")) {
      for (Expected expected : STANDARD) {
        Proposal proposal = MlsReader.decodeAll(TestVectors.hex((String) c.get(expected.field())), expected.field(),
            r -> Proposal.decodeBody(r, expected.type()));
        Map<String, Object> described = ProposalDescription.of(proposal, validatorAt(Instant.EPOCH));
        assertEquals(expected.name(), described.get("type"), expected.field());
        assertEquals(expected.keys(), List.copyOf(described.keySet()), expected.field());
        switch (proposal) {
          case Proposal.Add add -> assertTrue(map(described.get("key_package")).get("key_package_ref") instanceof String);
          case Proposal.Remove remove -> assertEquals(remove.removed(), described.get("removed"));
          case Proposal.PreSharedKey psk -> pskTypes.add(map(described.get("psk")).get("psktype"));
          default -> { }
        }
      }
    }
    assertTrue(pskTypes.contains("external") || pskTypes.contains("resumption"), pskTypes.toString());
  }

  @Test
  void resumptionPskShowsItsUsageGroupAndEpoch() {
    Proposal psk = new Proposal.PreSharedKey(new PreSharedKeyId(
        new PreSharedKeyId.Resumption(3, new byte[] {0x0a, 0x0b}, 7), new byte[] {1, 2}));
    assertEquals(Map.of("type", "psk", "psk", Map.of("psktype", "resumption", "usage", "branch", "psk_group_id", "0a0b",
        "psk_epoch", 7L, "psk_nonce", "0102")), ProposalDescription.of(psk, validatorAt(Instant.EPOCH)));
  }

  @Test
  void unknownProposalTypeIsShownByNumberWithItsDataLength() {
    assertEquals(Map.of("type", 0x0a0a, "data_length", 5),
        ProposalDescription.of(new Proposal.Unknown(0x0a0a, new byte[5]), validatorAt(Instant.EPOCH)));
  }
}
