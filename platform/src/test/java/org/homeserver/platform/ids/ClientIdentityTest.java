package org.homeserver.platform.ids;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ClientIdentityTest {
  private static final UUID CLIENT = UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e");

  @Test
  void idsHaveTheCanonicalMimiForms() {
    var alice = new ClientIdentity("example.org", "alice", CLIENT);

    assertEquals("mimi://example.org/u/alice", alice.userId());
    assertEquals("mimi://example.org/c/alice/0f8fad5b-d9cb-469f-a165-70867728950e", alice.clientId());
  }

  @Test
  void aClientIdParsesBackToItsIdentity() {
    var alice = new ClientIdentity("chat.example.org", "a.l_i-ce", CLIENT);

    assertEquals(Optional.of(alice), ClientIdentity.parseClientId(alice.clientId()));
  }

  @Test
  void textThatIsNotACanonicalClientIdDoesNotParse() {
    String[] notClientIds = {
        "", "mimi://example.org/u/alice", "https://example.org/c/alice/" + CLIENT,
        "mimi://example.org/c/alice/0F8FAD5B-D9CB-469F-A165-70867728950E", "mimi://example.org/c/alice/1-2-3-4-5",
        "mimi://example.org/c/alice/not-a-uuid", "mimi://Example.org/c/alice/" + CLIENT,
        "mimi://example.org/c/Alice/" + CLIENT, "mimi://example.org/c/al/" + CLIENT,
        "mimi://example.org/c/alice/" + CLIENT + "/", "mimi://example.org/c/alice/extra/" + CLIENT,
        "mimi://example.org/c/_alice/" + CLIENT, "mimi://-example.org/c/alice/" + CLIENT};

    for (String text : notClientIds) {
      assertEquals(Optional.empty(), ClientIdentity.parseClientId(text), text);
    }
    assertEquals(Optional.empty(), ClientIdentity.parseClientId(null));
  }

  @Test
  void handlesAndDomainsOutsideTheRulesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new ClientIdentity("example.org", "al", CLIENT));
    assertThrows(IllegalArgumentException.class, () -> new ClientIdentity("example.org", "a".repeat(33), CLIENT));
    assertThrows(IllegalArgumentException.class, () -> new ClientIdentity("example.org", "al/ice", CLIENT));
    assertThrows(IllegalArgumentException.class, () -> new ClientIdentity("Example.org", "alice", CLIENT));
    assertThrows(IllegalArgumentException.class, () -> new ClientIdentity("example.org/u", "alice", CLIENT));
    assertThrows(IllegalArgumentException.class, () -> new ClientIdentity("example.org", "alice", null));
    assertTrue(new ClientIdentity("localhost", "a".repeat(32), CLIENT).userId().endsWith("/u/" + "a".repeat(32)));
  }
}
