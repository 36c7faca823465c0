package org.homeserver.platform.ids;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.homeserver.api.auth.v1.RegisterUserRequest;
import org.homeserver.platform.grpc.DeclaredRules;

/**
 * A user's canonical id {@code mimi://<domain>/u/<handle>} (common.proto, "IDS"), and the grammar of
 * domains and handles that every id shares.
 */
public record UserId(String domain, String handle) {
  /** Lower-case DNS name: labels of a-z, 0-9 and '-', not starting or ending with '-'. */
  public static final Pattern DOMAIN = Pattern.compile(
      "(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*");
  /** The handle rule, as auth.proto declares it on RegisterUserRequest.handle. */
  public static final Pattern HANDLE = Pattern.compile(DeclaredRules.field(RegisterUserRequest.getDescriptor(),
      RegisterUserRequest.HANDLE_FIELD_NUMBER).getString().getPattern());
  private static final Pattern FORM = Pattern.compile("mimi://([^/]+)/u/([^/]+)");
  private static final Pattern QUALIFIED = Pattern.compile("([^@]+)@([^@]+)");

  public UserId {
    if (!isDomain(domain)) {
      throw new IllegalArgumentException("not a lower-case DNS domain: " + domain);
    }
    if (!isHandle(handle)) {
      throw new IllegalArgumentException("not a handle: " + handle);
    }
  }

  public static boolean isDomain(String s) {
    return s != null && DOMAIN.matcher(s).matches();
  }

  public static boolean isHandle(String s) {
    return s != null && HANDLE.matcher(s).matches();
  }

  /** The id {@code text} names, if it is a user id in canonical form or a qualified handle {@code alice@example.org}. */
  public static Optional<UserId> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    Matcher m = FORM.matcher(text);
    if (m.matches() && isDomain(m.group(1)) && isHandle(m.group(2))) {
      return Optional.of(new UserId(m.group(1), m.group(2)));
    }
    m = QUALIFIED.matcher(text);
    if (m.matches() && isDomain(m.group(2)) && isHandle(m.group(1))) {
      return Optional.of(new UserId(m.group(2), m.group(1)));
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return "mimi://" + domain + "/u/" + handle;
  }
}
