package org.homeserver.directory;

import java.text.Normalizer;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.ProfileChanged;
import org.homeserver.api.delivery.v1.ServerEvent;
import org.homeserver.api.directory.v1.Profile;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.grpc.ApiException;
import org.homeserver.platform.grpc.Protos;

/** Profiles (directory.proto): display names, their rules, and the ProfileChanged event to group peers. */
public final class Profiles {
  public static final int MAX_DISPLAY_NAME = 64;

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
    String name = validDisplayName(requested);
    Instant now = clock.instant();
    store.setDisplayName(caller.userId(), name, now);
    ServerEvent event = ServerEvent.newBuilder().setProfileChanged(ProfileChanged.newBuilder()
        .setUserId(caller.userId()).setDisplayName(name)).build();
    notices.tell(notices.groupPeers(caller.userId()), "", event, "profile-" + UUID.randomUUID());
    return of(caller.userId());
  }

  /** The name stored for {@code requested}: trimmed, NFC, 1 to 64 code points, no control characters. */
  static String validDisplayName(String requested) {
    String name = Normalizer.normalize(requested.strip(), Normalizer.Form.NFC);
    int length = name.codePointCount(0, name.length());
    if (length < 1 || length > MAX_DISPLAY_NAME) {
      throw new ApiException(ErrorReason.DISPLAY_NAME_INVALID, "a display name is 1 to " + MAX_DISPLAY_NAME
          + " characters after trimming white space, not " + length);
    }
    if (name.codePoints().anyMatch(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
        && c != 0x200D)) {
      throw new ApiException(ErrorReason.DISPLAY_NAME_INVALID, "a display name has no control characters");
    }
    return name;
  }

}
