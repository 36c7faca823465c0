package org.homeserver.directory;

import java.text.Normalizer;
import java.time.Clock;
import java.time.Instant;
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
  private final Clock clock;

  public Profiles(DirectoryStore store, Notices notices, Clock clock) {
    this.store = store;
    this.notices = notices;
    this.clock = clock;
  }

  /** The user's profile; a user who never set a display name has an empty one. */
  public Profile of(String userId) {
    Profile.Builder profile = Profile.newBuilder().setUserId(userId);
    store.profile(userId).ifPresent(p -> profile.setDisplayName(p.displayName())
        .setUpdatedAt(Protos.timestamp(p.updatedAt())));
    return profile.build();
  }

  /** Sets the caller's display name and tells every client of every user sharing a group with it. */
  public Profile setDisplayName(Principal caller, String requested) {
    String name = storedDisplayName(requested);
    Instant now = clock.instant();
    store.setDisplayName(caller.userId(), name, now);
    ServerEvent event = ServerEvent.newBuilder().setProfileChanged(ProfileChanged.newBuilder()
        .setUserId(caller.userId()).setDisplayName(name)).build();
    notices.tell(notices.groupPeers(caller.userId()), "", event, "profile-" + UUID.randomUUID());
    return of(caller.userId());
  }

  /** The name stored for {@code requested}, which the request rules admitted: trimmed, in NFC. */
  static String storedDisplayName(String requested) {
    return Normalizer.normalize(requested.strip(), Normalizer.Form.NFC);
  }

}
