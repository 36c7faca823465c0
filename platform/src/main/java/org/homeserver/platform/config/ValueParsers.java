package org.homeserver.platform.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Readers for the kinds of value a configuration file holds, for the shared keys and the services'
 * own; each throws IllegalArgumentException.
 */
public final class ValueParsers {
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
  private static final Pattern SIZE = Pattern.compile("(\\d+)(B|KiB|MiB|GiB)?");

  private ValueParsers() {}

  public static Function<String, Integer> integer(int min, int max) {
    return text -> {
      int value;
      try {
        value = Integer.parseInt(text.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not an integer");
      }
      if (value < min || value > max) {
        throw new IllegalArgumentException("out of range");
      }
      return value;
    };
  }

  public static Function<String, Duration> duration(Duration min, Duration max) {
    return text -> {
      Matcher m = DURATION.matcher(text.trim());
      if (!m.matches()) {
        throw new IllegalArgumentException("not a duration");
      }
      long amount = Long.parseLong(m.group(1));
      Duration value = switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        default -> Duration.ofDays(amount);
      };
      if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
        throw new IllegalArgumentException("out of range");
      }
      return value;
    };
  }

  public static Function<String, Long> size(long min, long max) {
    return text -> {
      Matcher m = SIZE.matcher(text.trim());
      if (!m.matches()) {
        throw new IllegalArgumentException("not a size");
      }
      long unit = switch (m.group(2) == null ? "B" : m.group(2)) {
        case "KiB" -> 1024L;
        case "MiB" -> 1024L * 1024;
        case "GiB" -> 1024L * 1024 * 1024;
        default -> 1L;
      };
      long value = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
      if (value < min || value > max) {
        throw new IllegalArgumentException("out of range");
      }
      return value;
    };
  }

  public static <E extends Enum<E>> Function<String, E> oneOf(Class<E> type) {
    return text -> {
      String wanted = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
      return Arrays.stream(type.getEnumConstants())
          .filter(e -> e.name().equals(wanted))
          .findFirst()
          .orElseThrow(() -> new IllegalArgumentException("not allowed"));
    };
  }

  public static <E extends Enum<E>> String words(Class<E> type) {
    return "one of " + String.join(", ", Arrays.stream(type.getEnumConstants())
        .map(e -> e.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList());
  }

  public static Function<String, String> matching(Pattern pattern) {
    return text -> {
      if (!pattern.matcher(text).matches()) {
        throw new IllegalArgumentException("not allowed");
      }
      return text;
    };
  }

  public static Function<String, Boolean> bool() {
    return text -> switch (text.trim()) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException("not a boolean");
    };
  }

  /** Items separated by commas (spaces around them ignored), each matching {@code item}; empty text is none. */
  public static Function<String, java.util.List<String>> list(Pattern item) {
    return text -> {
      if (text.isBlank()) {
        return java.util.List.of();
      }
      java.util.List<String> items = Arrays.stream(text.split(",")).map(String::trim).toList();
      if (!items.stream().allMatch(i -> item.matcher(i).matches())) {
        throw new IllegalArgumentException("not allowed");
      }
      return items;
    };
  }

  /** IP addresses and CIDR blocks separated by commas, checked with {@link org.homeserver.platform.net.AddressBlock#parse}. */
  public static Function<String, java.util.List<String>> addressBlocks() {
    return text -> {
      java.util.List<String> blocks = list(Pattern.compile("[0-9A-Fa-f.:/]+")).apply(text);
      blocks.forEach(org.homeserver.platform.net.AddressBlock::parse);
      return blocks;
    };
  }

  public static Function<String, String> anyText() {
    return text -> text;
  }
}
