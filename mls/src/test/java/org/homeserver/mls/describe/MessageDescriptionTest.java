package org.homeserver.mls.describe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.Capabilities;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.ContentType;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.PrivateMessage;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.Sender;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.junit.jupiter.api.Test;

/** What a client developer reads for each kind of message, checked on the working group's vectors. */
class MessageDescriptionTest {
  static final List<String> MESSAGE_FIELDS = List.of("mls_welcome", "mls_group_info", "mls_key_package",
      "public_message_application", "public_message_proposal", "public_message_commit", "private_message");
  /** messages.json case 0's KeyPackage: lifetime 2023-03-08T12:48:36Z to 2023-05-31T13:48:36Z. */
  private static final Instant IN_LIFETIME = Instant.parse("2023-04-01T00:00:00Z");

  @Test
  void everyVectorMessageIsATreeOfPlainJsonValuesNamingItsWireFormat() throws MlsDecodeException {
    int described = 0;
    for (Map<String, Object> c : TestVectors.load("messages.json")) {
      for (String field : MESSAGE_FIELDS) {
        MlsMessage message = MlsMessage.decode(TestVectors.hex((String) c.get(field)));
        Map<String, Object> description = MessageDescription.of(message, validatorAt(IN_LIFETIME));
        assertPlainJson(description, field);
        assertEquals("mls_" + message.wireFormat().name().toLowerCase(Locale.ROOT), description.get("wire_format"),
            field);
        assertEquals("mls10", description.get("version"), field);
        described++;
      }
    }
    assertEquals(300 * MESSAGE_FIELDS.size(), described);
  }

  @Test
  void theCheckRefusesValuesWithoutAPlainJsonForm() {
    assertThrows(AssertionError.class, () -> assertPlainJson(Map.of("key", new byte[1]), "bytes"));
    assertThrows(AssertionError.class, () -> assertPlainJson(List.of(Optional.empty()), "an optional"));
    assertThrows(AssertionError.class, () -> assertPlainJson(Map.of(1, "x"), "a number key"));
  }

  @Test
  void keyPackageShowsSuiteCredentialKeysLifetimeCapabilitiesAndRef() throws MlsDecodeException {
    Map<String, Object> kp = map(describe(0, "mls_key_package", IN_LIFETIME).get("key_package"));
    assertEquals(Map.of("code", 1, "name", "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"), kp.get("cipher_suite"));
    assertEquals("d194bc459d3a5bdfb259c14dfa8be53914aeed1f57ad10fef51eff170d6de8f1", kp.get("key_package_ref"));
    Map<String, Object> leaf = map(kp.get("leaf_node"));
    assertEquals(Map.of("type", "basic", "identity", "Alice"), leaf.get("credential"));
    assertEquals("38a5e7481e20afe7e500cb3065a67ebe9c2c3ecd537d4479309159fe2215c4b5", leaf.get("signature_key"));
    assertEquals("key_package", leaf.get("leaf_node_source"));
    assertEquals(Map.of("not_before", 1678279716L, "not_after", 1685540916L,
        "not_before_time", "2023-03-08T12:48:36Z", "not_after_time", "2023-05-31T13:48:36Z"), leaf.get("lifetime"));
    Map<String, Object> capabilities = map(leaf.get("capabilities"));
    assertEquals(List.of("mls10"), capabilities.get("versions"));
    assertEquals(List.of("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519", "MLS_128_DHKEMP256_AES128GCM_SHA256_P256",
        "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519"), capabilities.get("cipher_suites"));
    assertEquals(List.of("add", "update", "remove", "psk", "reinit", "group_context_extensions"),
        capabilities.get("proposals"));
    assertEquals(List.of("basic"), capabilities.get("credentials"));
    assertEquals(List.of(), kp.get("extensions"));
  }

  @Test
  void keyPackageRefIsTheOneTheWelcomeAddingItNames() throws MlsDecodeException {
    for (Map<String, Object> c : TestVectors.load("welcome.json")) {
      KeyPackageValidator validator = validatorAt(IN_LIFETIME);
      Map<String, Object> kp = map(MessageDescription.of(
          MlsMessage.decode(TestVectors.hex((String) c.get("key_package"))), validator).get("key_package"));
      Map<String, Object> welcome = map(MessageDescription.of(
          MlsMessage.decode(TestVectors.hex((String) c.get("welcome"))), validator).get("welcome"));
      assertEquals(List.of(kp.get("key_package_ref")), welcome.get("new_member_key_package_refs"));
      assertEquals(map(kp.get("cipher_suite")).get("code"), ((Number) c.get("cipher_suite")).intValue());
      assertEquals(kp.get("cipher_suite"), welcome.get("cipher_suite"));
      assertTrue((Integer) welcome.get("encrypted_group_info_length") > 0);
    }
  }

  @Test
  void validationIsValidInsideTheLifetimeAndNamesTheRuleOutsideIt() throws MlsDecodeException {
    assertEquals(Map.of("valid", true), keyPackage(0, IN_LIFETIME).get("validation"));

    Map<String, Object> late = map(keyPackage(0, Instant.parse("2030-01-01T00:00:00Z")).get("validation"));
    assertEquals(List.of("valid", "rule", "detail"), List.copyOf(late.keySet()));
    assertEquals(false, late.get("valid"));
    assertEquals("lifetime", late.get("rule"));
    assertEquals("valid from 1678279716 to 1685540916 (seconds since 1970), but now is 1893456000", late.get("detail"));
  }

  @Test
  void validationNamesTheFirstRuleBroken() throws MlsDecodeException {
    MlsMessage message = MlsMessage.decode(TestVectors.hex((String) TestVectors.load("messages.json").get(0)
        .get("mls_key_package")));
    KeyPackageValidator onlyP256 = new KeyPackageValidator(
        Set.of(CipherSuite.MLS_128_DHKEMP256_AES128GCM_SHA256_P256), Duration.ofHours(1), fixed(IN_LIFETIME));
    Map<String, Object> validation = map(map(MessageDescription.of(message, onlyP256).get("key_package")).get("validation"));
    assertEquals("cipher_suite", validation.get("rule"));
    assertTrue(((String) validation.get("detail")).startsWith("cipher suite 1 is not one of the allowed"), validation.toString());
  }

  @Test
  void unknownSuiteHasANumberButNoNameAndNoRef() throws MlsDecodeException {
    KeyPackage vector = ((MlsMessage.KeyPackageBody) MlsMessage.decode(TestVectors.hex((String) TestVectors
        .load("messages.json").get(0).get("mls_key_package"))).body()).keyPackage();
    KeyPackage grease = new KeyPackage(vector.version(), 0x0a0a, vector.initKey(), vector.leafNode(),
        vector.extensions(), vector.signature());
    Map<String, Object> kp = map(MessageDescription.of(new MlsMessage(MlsMessage.MLS10,
        new MlsMessage.KeyPackageBody(grease)), validatorAt(IN_LIFETIME)).get("key_package"));
    assertEquals(Map.of("code", 0x0a0a), kp.get("cipher_suite"));
    assertTrue(kp.containsKey("key_package_ref"));
    assertNull(kp.get("key_package_ref"));
    assertEquals("cipher_suite", map(kp.get("validation")).get("rule"));
  }

  @Test
  void commitsListProposalsByValueAndByReferenceAndThePathWithItsLeaf() throws MlsDecodeException {
    int byValue = 0;
    int byReference = 0;
    int withPath = 0;
    int withoutPath = 0;
    for (Map<String, Object> c : TestVectors.load("messages.json")) {
      MlsMessage message = MlsMessage.decode(TestVectors.hex((String) c.get("public_message_commit")));
      Commit commit = ((FramedContent.CommitBody) ((PublicMessage) message.body()).content().body()).commit();
      Map<String, Object> described = map(MessageDescription.of(message, validatorAt(IN_LIFETIME)).get("public_message"));
      assertEquals("commit", described.get("content_type"));
      assertTrue(described.containsKey("confirmation_tag"));
      List<Object> proposals = list(map(described.get("commit")).get("proposals"));
      assertEquals(commit.proposals().size(), proposals.size());
      for (int i = 0; i < proposals.size(); i++) {
        Map<String, Object> p = map(proposals.get(i));
        switch (commit.proposals().get(i)) {
          case Commit.ByValue v -> {
            byValue++;
            assertEquals("value", p.get("by"));
            assertEquals(Names.proposalType(v.proposal().type()), p.get("type"));
          }
          case Commit.ByReference r -> {
            byReference++;
            assertEquals(Map.of("by", "reference", "proposal_ref", Scalars.hex(r.proposalRef())), p);
          }
        }
      }
      Object path = map(described.get("commit")).get("path");
      if (commit.path().isPresent()) {
        withPath++;
        assertEquals(Scalars.hex(commit.path().get().leafNode().signatureKey()),
            map(map(path).get("leaf_node")).get("signature_key"));
      } else {
        withoutPath++;
        assertNull(path);
      }
    }
    assertTrue(byReference > 0 && withPath > 0, "the vectors have references and paths");
    assertEquals(300, withPath + withoutPath, byValue + " by value");
  }

  @Test
  void publicMessageShowsSenderContentTypeAndTagsPresent() throws MlsDecodeException {
    Map<String, Object> application = map(describe(1, "public_message_application", IN_LIFETIME).get("public_message"));
    assertEquals(List.of("group_id", "epoch", "sender", "authenticated_data", "content_type", "application_data",
        "signature", "membership_tag"), List.copyOf(application.keySet()));
    assertEquals("f981b8f284442237b1e1d1506e51e7be", application.get("group_id"));
    assertEquals(1L, application.get("epoch"));
    assertEquals(Map.of("type", "member", "leaf_index", 0L), application.get("sender"));
    assertEquals("616164", application.get("authenticated_data"));
    assertEquals("application", application.get("content_type"));
    assertEquals("6d7367", application.get("application_data"));

    Map<String, Object> proposal = map(describe(1, "public_message_proposal", IN_LIFETIME).get("public_message"));
    assertEquals("proposal", proposal.get("content_type"));
    assertEquals("add", map(proposal.get("proposal")).get("type"));
  }

  @Test
  void everySenderTypeIsNamedAndTagsAbsentAreLeftOut() {
    List<Map<String, Object>> senders = new ArrayList<>();
    for (Sender sender : List.of(new Sender.External(3), new Sender.NewMemberProposal(), new Sender.NewMemberCommit())) {
      FramedContent content = new FramedContent(new byte[] {1}, 2, sender, new byte[0],
          new FramedContent.Application(new byte[] {(byte) 0xab}));
      PublicMessage message = new PublicMessage(content, new byte[] {9}, Optional.empty(), Optional.empty());
      Map<String, Object> described = map(MessageDescription.of(new MlsMessage(MlsMessage.MLS10, message),
          validatorAt(IN_LIFETIME)).get("public_message"));
      assertFalse(described.containsKey("membership_tag"));
      assertFalse(described.containsKey("confirmation_tag"));
      senders.add(map(described.get("sender")));
    }
    assertEquals(List.of(Map.of("type", "external", "sender_index", 3L), Map.of("type", "new_member_proposal"),
        Map.of("type", "new_member_commit")), senders);
  }

  @Test
  void privateMessageShowsTheClearFieldsAndOnlyTheLengthsOfTheRest() throws MlsDecodeException {
    Map<String, Object> message = describe(1, "private_message", IN_LIFETIME);
    assertEquals("mls_private_message", message.get("wire_format"));
    assertEquals(Map.of("group_id", "f981b8f284442237b1e1d1506e51e7be", "epoch", 0L, "content_type", "commit",
        "authenticated_data", "616164", "encrypted_sender_data_length", 28, "ciphertext_length", 375),
        message.get("private_message"));
  }

  @Test
  void epochsBeyondTwoToTheSixtyThreeStayUnsigned() {
    PrivateMessage message = new PrivateMessage(new byte[0], -1L, ContentType.APPLICATION,
        new byte[0], new byte[2], new byte[3]);
    Map<String, Object> described = map(MessageDescription.of(new MlsMessage(MlsMessage.MLS10, message),
        validatorAt(IN_LIFETIME)).get("private_message"));
    assertEquals(new BigInteger("18446744073709551615"), described.get("epoch"));
  }

  @Test
  void lifetimeBeyondWhatAnInstantHoldsKeepsItsSecondsAndHasNoTime() {
    LeafNode leaf = new LeafNode(new byte[0], new byte[0], new Credential.Basic(new byte[0]),
        new Capabilities(List.of(), List.of(), List.of(), List.of(), List.of()),
        new LeafNode.KeyPackageSource(0, -1L), List.of(), new byte[0]);
    Map<String, Object> lifetime = map(KeyPackageDescription.leafNode(leaf).get("lifetime"));
    assertEquals(0L, lifetime.get("not_before"));
    assertEquals("1970-01-01T00:00:00Z", lifetime.get("not_before_time"));
    assertEquals(new BigInteger("18446744073709551615"), lifetime.get("not_after"));
    assertTrue(lifetime.containsKey("not_after_time"));
    assertNull(lifetime.get("not_after_time"));
  }

  @Test
  void groupInfoShowsItsContextAndSummarisesTheRatchetTree() throws MlsDecodeException {
    Map<String, Object> info = map(describe(0, "mls_group_info", IN_LIFETIME).get("group_info"));
    Map<String, Object> context = map(info.get("group_context"));
    assertEquals(List.of("version", "cipher_suite", "group_id", "epoch", "tree_hash", "confirmed_transcript_hash",
        "extensions"), List.copyOf(context.keySet()));
    assertEquals("57f89bad9b38b906d15100f720422e90", context.get("group_id"));
    assertEquals(0L, context.get("epoch"));
    assertEquals("4791deb51610ceeee4333b92eb02dbaeff2f29809ba66bfa105233e478f0b707", context.get("tree_hash"));
    assertEquals(List.of(Map.of("type", "required_capabilities", "extension_types", List.of(), "proposal_types",
        List.of(), "credential_types", List.of())), context.get("extensions"));
    List<Object> extensions = list(info.get("extensions"));
    assertEquals(Map.of("type", "ratchet_tree", "node_count", 1, "leaves", List.of(Map.of("leaf_index", 0,
        "credential", Map.of("type", "basic", "identity", "Alice"),
        "signature_key", "38a5e7481e20afe7e500cb3065a67ebe9c2c3ecd537d4479309159fe2215c4b5"))), extensions.get(0));
    assertEquals("external_pub", map(extensions.get(1)).get("type"));
    assertEquals(0L, info.get("signer"));
    assertEquals("3466c4297e35375676e20ccc765b1e46973e9468c1679da707be06be0971be85", info.get("confirmation_tag"));
  }

  private static Map<String, Object> describe(int vectorCase, String field, Instant now) throws MlsDecodeException {
    MlsMessage message = MlsMessage.decode(TestVectors.hex((String) TestVectors.load("messages.json").get(vectorCase)
        .get(field)));
    return MessageDescription.of(message, validatorAt(now));
  }

  private static Map<String, Object> keyPackage(int vectorCase, Instant now) throws MlsDecodeException {
    return map(describe(vectorCase, "mls_key_package", now).get("key_package"));
  }

  /**
   * Fails unless {@code value} is made of ordered maps with string keys, lists, strings, booleans,
   * whole numbers and nulls alone: what any JSON writer writes the same way, the form the
   * description promises.
   */
  private static void assertPlainJson(Object value, String where) {
    switch (value) {
      case null -> { }
      case String _, Boolean _, Integer _, Long _, BigInteger _ -> { }
      case List<?> list -> {
        for (int i = 0; i < list.size(); i++) {
          assertPlainJson(list.get(i), where + "[" + i + "]");
        }
      }
      case Map<?, ?> map -> map.forEach((key, member) -> {
        assertInstanceOf(String.class, key, where + ": a key that is not a string");
        assertPlainJson(member, where + "." + key);
      });
      default -> fail(where + " is a " + value.getClass().getName() + ", which has no plain JSON form");
    }
  }

  static KeyPackageValidator validatorAt(Instant now) {
    return new KeyPackageValidator(EnumSet.allOf(CipherSuite.class), Duration.ofHours(1), fixed(now));
  }

  private static Clock fixed(Instant now) {
    return Clock.fixed(now, ZoneOffset.UTC);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object value) {
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object value) {
    return (List<Object>) value;
  }
}
