package org.homeserver.platform.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads the YAML file, applies HOMESERVER_* environment overrides and command-line overrides, and
 * checks every value against the shared keys ({@link ConfigSchema}) and the keys of the service
 * modules' sections it was given. All problems are reported at once, one line each.
 */
public final class ConfigLoader {
  private final Map<String, String> environment;
  private final List<ConfigSection<?>> sections;
  private final List<Setting<?>> keys;

  /** A loader of the shared keys alone. */
  public ConfigLoader(Map<String, String> environment) {
    this(environment, List.of());
  }

  /** A loader of the shared keys and those of {@code sections}; a key declared twice is a programming error. */
  public ConfigLoader(Map<String, String> environment, List<ConfigSection<?>> sections) {
    this.environment = Map.copyOf(environment);
    this.sections = List.copyOf(sections);
    List<Setting<?>> all = new ArrayList<>(ConfigSchema.ALL);
    sections.forEach(section -> all.addAll(section.keys()));
    Set<String> seen = new HashSet<>();
    for (Setting<?> setting : all) {
      if (!seen.add(setting.key())) {
        throw new IllegalArgumentException("configuration key " + setting.key() + " is declared twice");
      }
    }
    this.keys = List.copyOf(all);
  }

  /** Every key this loader reads: the shared ones, then each section's, in the order of the configuration reference. */
  public List<Setting<?>> keys() {
    return keys;
  }

  /** Loads {@code file} (may be null: defaults only), then the environment, then {@code overrides}. */
  public HomeserverConfig load(Path file, Map<String, String> overrides) throws ConfigException {
    Map<String, String> raw = new LinkedHashMap<>();
    Map<String, String> source = new HashMap<>();
    List<String> problems = new ArrayList<>();
    if (file != null) {
      readYaml(file, raw, problems);
      raw.keySet().forEach(k -> source.put(k, file.toString()));
    }
    Set<String> known = keys.stream().map(Setting::key).collect(Collectors.toSet());
    for (String key : raw.keySet()) {
      if (!known.contains(key)) {
        problems.add("config: " + key + ": unknown key (in " + file + "); see the configuration reference in README.md");
      }
    }
    for (Setting<?> setting : keys) {
      String value = environment.get(setting.environmentVariable());
      if (value != null) {
        raw.put(setting.key(), value);
        source.put(setting.key(), setting.environmentVariable());
      }
    }
    overrides.forEach((k, v) -> {
      raw.put(k, v);
      source.put(k, "the command line");
    });

    Map<String, Object> values = new HashMap<>();
    for (Setting<?> setting : keys) {
      String text = raw.getOrDefault(setting.key(), setting.defaultText());
      try {
        values.put(setting.key(), setting.parse().apply(text));
      } catch (IllegalArgumentException | ArithmeticException e) {
        problems.add("config: " + setting.key() + ": must be " + setting.allowed() + " (got \"" + text
            + "\" from " + source.getOrDefault(setting.key(), "the default") + ")");
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    ConfigValues checked = new ConfigValues(values);
    Map<ConfigSection<?>, Object> settings = new IdentityHashMap<>();
    List<String> inconsistencies = new ArrayList<>();
    for (ConfigSection<?> section : sections) {
      inconsistencies.addAll(read(section, checked, settings));
    }
    HomeserverConfig config = HomeserverConfig.from(checked, settings);
    inconsistencies.addAll(0, config.inconsistencies());
    if (!inconsistencies.isEmpty()) {
      throw new ConfigException(inconsistencies);
    }
    return config;
  }

  /** Puts the settings of {@code section} into {@code into}; returns their inconsistencies. */
  private static <S> List<String> read(ConfigSection<S> section, ConfigValues values, Map<ConfigSection<?>, Object> into) {
    S settings = section.read(values);
    into.put(section, settings);
    return section.inconsistencies(settings);
  }

  private static void readYaml(Path file, Map<String, String> into, List<String> problems) {
    Object document;
    try (Reader reader = Files.newBufferedReader(file)) {
      document = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
    } catch (IOException e) {
      problems.add("config: cannot read " + file + ": " + e.getMessage());
      return;
    } catch (YAMLException e) {
      problems.add("config: " + file + " is not valid YAML: " + e.getMessage().replace('\n', ' '));
      return;
    }
    if (document == null) {
      return;
    }
    if (!(document instanceof Map<?, ?> map)) {
      problems.add("config: " + file + ": the top level must be a mapping of keys to values");
      return;
    }
    flatten("", map, into, problems);
  }

  private static void flatten(String prefix, Map<?, ?> map, Map<String, String> into, List<String> problems) {
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      String key = prefix + entry.getKey();
      switch (entry.getValue()) {
        case Map<?, ?> nested -> flatten(key + ".", nested, into, problems);
        case List<?> list -> problems.add("config: " + key + ": a list is not allowed here");
        case null -> into.put(key, "");
        case Object value -> into.put(key, String.valueOf(value));
      }
    }
  }

  /** Typed access to the checked values. */
  public static final class ConfigValues {
    private final Map<String, Object> values;

    ConfigValues(Map<String, Object> values) {
      this.values = values;
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
      return (T) values.get(setting.key());
    }

    /** A text value, empty when it is the empty text. */
    public Optional<String> optional(Setting<String> setting) {
      String value = get(setting);
      return value == null || value.isEmpty() ? Optional.empty() : Optional.of(value);
    }
  }
}
