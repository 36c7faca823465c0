package org.homeserver.platform.config;

import java.util.function.Function;

/**
 * One configuration key: its YAML path, default, how a text value is read and what is allowed.
 *
 * @param key         the dotted YAML path, e.g. {@code database.pool-size}
 * @param defaultText the default as it would be written in the file; null means "no default"
 * @param parse       reads the text; throws {@link IllegalArgumentException} for a bad value
 * @param allowed     what is allowed, in words, for the error line ("an integer from 1 to 100")
 * @param description one sentence for the configuration reference
 */
public record Setting<T>(String key, String defaultText, Function<String, T> parse, String allowed,
                         String description) {

  /** The environment variable that overrides this key: HOMESERVER_ + key, upper case, '.' and '-' as '_'. */
  public String environmentVariable() {
    return "HOMESERVER_" + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
  }
}
