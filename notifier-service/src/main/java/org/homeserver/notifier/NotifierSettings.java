package org.homeserver.notifier;

import static org.homeserver.platform.config.ValueParsers.bool;
import static org.homeserver.platform.config.ValueParsers.duration;
import static org.homeserver.platform.config.ValueParsers.integer;
import static org.homeserver.platform.config.ValueParsers.matching;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.homeserver.platform.config.ConfigLoader.ConfigValues;
import org.homeserver.platform.config.ConfigSection;
import org.homeserver.platform.config.Setting;
import org.homeserver.platform.config.ValueParsers;

/**
 * The notifier's configuration: its keys (notifier.*) and the settings they make.
 *
 * @param vapidSubject empty for mailto:postmaster@ the home domain
 */
public record NotifierSettings(int maxEndpointsPerClient, Optional<String> vapidSubject, int pushConcurrency,
                               Duration jobLease, boolean allowLoopbackEndpoints, Optional<Apns> apns,
                               Optional<Path> fcmServiceAccount) {
  /** APNs credentials: the team, the authentication key and the app bundle ids devices may use. */
  public record Apns(String teamId, String keyId, Path keyFile, List<String> topics) {}

  public static final Setting<Integer> MAX_ENDPOINTS = new Setting<>("notifier.max-endpoints-per-client", "10",
      integer(1, 100), "an integer from 1 to 100", "How many push endpoints one client may register.");
  public static final Setting<String> VAPID_SUBJECT = new Setting<>("notifier.vapid-subject", "",
      t -> t.isEmpty() ? t : matching(Pattern.compile("(mailto:|https://)\\S{3,200}")).apply(t),
      "empty (mailto:postmaster@<domain>) or a mailto: or https: URI",
      "The contact Web Push services see in this homeserver's VAPID tokens (RFC 8292 sub claim).");
  public static final Setting<Integer> PUSH_CONCURRENCY = new Setting<>("notifier.push-concurrency", "64",
      integer(1, 1024), "an integer from 1 to 1024", "Pushes in flight at once, per notifier process.");
  public static final Setting<Duration> JOB_LEASE = new Setting<>("notifier.job-lease", "30s",
      duration(Duration.ofSeconds(15), Duration.ofHours(1)), "a duration from 15s to 1h",
      "How long a push job taken by a notifier process stays its own; if the process dies, another takes the job after this. At least 15s, the longest a push may take (5s to connect, 10s for the answer).");
  public static final Setting<Boolean> ALLOW_LOOPBACK_ENDPOINTS = new Setting<>("notifier.allow-loopback-endpoints",
      "false", bool(), "true or false",
      "For tests only: accept http:// endpoints on loopback addresses (other private addresses stay refused).");
  public static final Setting<String> APNS_TEAM_ID = new Setting<>("notifier.apns.team-id", "",
      t -> t.isEmpty() ? t : matching(Pattern.compile("[A-Z0-9]{10}")).apply(t),
      "empty (APNs off) or the 10-character Apple team id", "The Apple developer team of the APNs key.");
  public static final Setting<String> APNS_KEY_ID = new Setting<>("notifier.apns.key-id", "",
      t -> t.isEmpty() ? t : matching(Pattern.compile("[A-Z0-9]{10}")).apply(t),
      "empty or the 10-character key id", "The id of the APNs authentication key (.p8).");
  public static final Setting<String> APNS_KEY_FILE = new Setting<>("notifier.apns.key-file", "",
      ValueParsers.anyText(), "empty or a file path", "The APNs authentication key, the .p8 PEM file from Apple.");
  public static final Setting<String> APNS_TOPICS = new Setting<>("notifier.apns.topics", "",
      t -> t.isEmpty() ? t : matching(Pattern.compile("[A-Za-z0-9.\\-]+(,[A-Za-z0-9.\\-]+)*")).apply(t),
      "empty or bundle ids separated by commas", "The app bundle ids (apns-topic) devices may register for.");
  public static final Setting<String> FCM_SERVICE_ACCOUNT = new Setting<>("notifier.fcm.service-account-file", "",
      ValueParsers.anyText(), "empty (FCM off) or a file path",
      "The Google service account key (JSON) with which pushes are sent through FCM's HTTP v1 API.");

  /** The section the composition root registers with the configuration loader. */
  public static final ConfigSection<NotifierSettings> SECTION = new ConfigSection<>(NotifierModule.NAME, List.of(
      MAX_ENDPOINTS, VAPID_SUBJECT, PUSH_CONCURRENCY, JOB_LEASE, ALLOW_LOOPBACK_ENDPOINTS,
      APNS_TEAM_ID, APNS_KEY_ID, APNS_KEY_FILE, APNS_TOPICS, FCM_SERVICE_ACCOUNT),
      NotifierSettings::from, NotifierSettings::inconsistencies);

  static NotifierSettings from(ConfigValues v) {
    return new NotifierSettings(v.get(MAX_ENDPOINTS), v.optional(VAPID_SUBJECT), v.get(PUSH_CONCURRENCY),
        v.get(JOB_LEASE), v.get(ALLOW_LOOPBACK_ENDPOINTS),
        v.optional(APNS_TEAM_ID).map(team -> new Apns(team, v.get(APNS_KEY_ID), Path.of(v.get(APNS_KEY_FILE)),
            v.optional(APNS_TOPICS).map(topics -> List.of(topics.split(","))).orElse(List.of()))),
        v.optional(FCM_SERVICE_ACCOUNT).map(Path::of));
  }

  /** Problems between keys that are each valid alone, one line each. */
  List<String> inconsistencies() {
    if (apns.isPresent()
        && (apns.get().keyId().isEmpty() || apns.get().keyFile().toString().isEmpty() || apns.get().topics().isEmpty())) {
      return List.of("config: notifier.apns.team-id: APNs needs notifier.apns.key-id, notifier.apns.key-file and "
          + "notifier.apns.topics as well");
    }
    return List.of();
  }
}
