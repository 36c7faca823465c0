package org.homeserver.keypackage;

import static org.homeserver.platform.config.ValueParsers.integer;

import java.util.List;
import org.homeserver.platform.config.ConfigLoader.ConfigValues;
import org.homeserver.platform.config.ConfigSection;
import org.homeserver.platform.config.Setting;

/** The KeyPackage store's configuration: its keys (keypackage.*) and the settings they make. */
public record KeyPackageSettings(int lowThreshold) {
  public static final Setting<Integer> LOW_THRESHOLD = new Setting<>("keypackage.low-threshold", "10",
      integer(0, 1000), "an integer from 0 (never) to 1000",
      "A client whose KeyPackages of a suite (not counting a last-resort one) fall below this gets a KeyPackagesLow event.");

  /** The section the composition root registers with the configuration loader. */
  public static final ConfigSection<KeyPackageSettings> SECTION = new ConfigSection<>(KeyPackageModule.NAME,
      List.of(LOW_THRESHOLD), KeyPackageSettings::from, settings -> List.of());

  static KeyPackageSettings from(ConfigValues v) {
    return new KeyPackageSettings(v.get(LOW_THRESHOLD));
  }
}
