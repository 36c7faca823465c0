package org.homeserver.platform.config;

import java.util.List;
import java.util.function.Function;
import org.homeserver.platform.config.ConfigLoader.ConfigValues;

/**
 * The configuration keys of one service module and the settings record they make. The module
 * declares it; the process's composition root registers it with the {@link ConfigLoader}, which
 * then reads, checks and refuses the module's keys exactly as it does the shared ones
 * ({@link ConfigSchema}); the module finds its settings with {@link HomeserverConfig#settings}.
 *
 * @param <S> the module's settings record
 */
public final class ConfigSection<S> {
  private final String name;
  private final List<Setting<?>> keys;
  private final Function<ConfigValues, S> read;
  private final Function<S, List<String>> inconsistencies;

  /**
   * @param name            the service, e.g. {@code auth}
   * @param keys            its keys, in the order of the configuration reference
   * @param read            builds the settings from the checked values
   * @param inconsistencies problems between keys that are each valid alone, one line each
   */
  public ConfigSection(String name, List<Setting<?>> keys, Function<ConfigValues, S> read,
                       Function<S, List<String>> inconsistencies) {
    this.name = name;
    this.keys = List.copyOf(keys);
    this.read = read;
    this.inconsistencies = inconsistencies;
  }

  public String name() {
    return name;
  }

  public List<Setting<?>> keys() {
    return keys;
  }

  S read(ConfigValues values) {
    return read.apply(values);
  }

  List<String> inconsistencies(S settings) {
    return inconsistencies.apply(settings);
  }
}
