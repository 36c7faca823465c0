package org.homeserver.directory;

import static org.homeserver.platform.config.ValueParsers.bool;
import static org.homeserver.platform.config.ValueParsers.integer;

import java.util.List;
import org.homeserver.platform.config.ConfigLoader.ConfigValues;
import org.homeserver.platform.config.ConfigSection;
import org.homeserver.platform.config.Setting;

/** The directory's configuration: its keys (directory.*) and the settings they make. */
public record DirectorySettings(boolean prefixSearch, int lookupsPerMinute) {
  public static final Setting<Boolean> PREFIX_SEARCH = new Setting<>("directory.prefix-search", "false", bool(),
      "true or false",
      "Let users find this domain's users by the beginning of a handle (SearchUsers). Off: only exact handles are found.");
  public static final Setting<Integer> LOOKUPS = new Setting<>("directory.lookups-per-minute", "30",
      integer(1, 100000), "an integer from 1 to 100000",
      "Profile reads, discoveries and searches allowed per user per minute, together.");

  /** The section the composition root registers with the configuration loader. */
  public static final ConfigSection<DirectorySettings> SECTION = new ConfigSection<>(DirectoryModule.NAME,
      List.of(PREFIX_SEARCH, LOOKUPS), DirectorySettings::from, settings -> List.of());

  static DirectorySettings from(ConfigValues v) {
    return new DirectorySettings(v.get(PREFIX_SEARCH), v.get(LOOKUPS));
  }
}
