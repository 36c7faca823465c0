package org.homeserver.directory;

import java.text.Normalizer;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.homeserver.api.delivery.v1.ProfileChanged;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.directory.v1.Profile;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.grpc.Protos;

/** Profiles (directory.proto): display names as stored, and the ProfileChanged event to group peers. */
public final class Profiles {
  private final DirectoryStore store;
  private final Notices notices;
  private final Peers peers;
  private final Clock clock;

  public Profiles(DirectoryStore store, Notices notices, Peers peers, Clock clock) {
    this.store = store;
    this.notices = notices;
    this.peers = peers;
    this.clock = clock;
  }

  /** The profile of a user of {@code destination}, as its homeserver answers {@code requester}'s {@code query}. */
  public Profile ofRemote(String destination, String query, String requester) {
    return peers.discover(destination, query, requester);
  }

  /** The user's profile; a user who never set a display name has an empty one. */
  public Profile of(String userId) {
    Profile.Builder profile = Profile.newBuilder().setUserId(userId);
    store.profile(userId).ifPresent(p -> profile.setDisplayName(p.displayName())
        .setUpdatedAt(Protos.timestamp(p.updatedAt())));
    return profile.build();
  }

  /**
   * Sets the caller's display name and tells every client of every user sharing a group with it and
   * of every user of another domain connected with it (through the delivery service, which
   * forwards to their homeservers).
   */
  public Profile setDisplayName(Principal caller, String requested) {
    String name = storedDisplayName(requested);
    Instant now = clock.instant();
    store.setDisplayName(caller.userId(), name, now);
    ServerEvent event = ServerEvent.newBuilder().setProfileChanged(ProfileChanged.newBuilder()
        .setUserId(caller.userId()).setDisplayName(name)).build();
    Set<String> told = new LinkedHashSet<>(notices.groupPeers(caller.userId()));
    told.addAll(store.connectedUsersOfOtherDomains(caller.userId()));
    notices.tell(List.copyOf(told), "", event, "profile-" + UUID.randomUUID());
    return of(caller.userId());
  }

  /** The name stored for {@code requested}, which the request rules admitted: trimmed, in NFC. */
  static String storedDisplayName(String requested) {
    return Normalizer.normalize(requested.strip(), Normalizer.Form.NFC);
  }

}
