package org.homeserver.delivery;

import static org.homeserver.platform.config.ValueParsers.duration;
import static org.homeserver.platform.config.ValueParsers.integer;

import java.time.Duration;
import java.util.List;
import org.homeserver.platform.config.ConfigLoader.ConfigValues;
import org.homeserver.platform.config.ConfigSection;
import org.homeserver.platform.config.Setting;

/** The delivery service's configuration: its keys (delivery.*) and the settings they make. */
public record DeliverySettings(Duration queueRetention, int queueCap, int applicationEpochWindow,
                               int federationLaneLimit, Duration federationSweep) {
  public static final Setting<Duration> QUEUE_RETENTION = new Setting<>("delivery.queue-retention", "30d",
      duration(Duration.ofHours(1), Duration.ofDays(3650)), "a duration from 1h to 3650d",
      "How long an unacknowledged entry (own queue or group log) is kept; older ones are dropped and the client gets a QueueGap event.");
  public static final Setting<Integer> QUEUE_CAP = new Setting<>("delivery.queue-cap", "10000",
      integer(10, 10_000_000), "an integer from 10 to 10000000",
      "Entries a client may fall behind in its own queue or in one group's log; beyond it the oldest are dropped for it and the client gets a QueueGap event.");
  public static final Setting<Integer> APPLICATION_WINDOW = new Setting<>("delivery.application-epoch-window", "3",
      integer(0, 1000), "an integer from 0 to 1000",
      "How many epochs behind the current one a group still accepts application messages for.");

  public static final Setting<Integer> FEDERATION_LANE_LIMIT = new Setting<>("delivery.federation.lane-limit", "10000",
      integer(1, 10_000_000), "an integer from 1 to 10000000",
      "Entries one group's outbox lane towards a follower homeserver may hold waiting; beyond it the group's messages skip that follower, which fetches them from this hub once it is reached again.");
  public static final Setting<Duration> FEDERATION_SWEEP = new Setting<>("delivery.federation.sweep-interval", "1s",
      duration(Duration.ofMillis(100), Duration.ofMinutes(10)), "a duration from 100ms to 10m",
      "How often groups across homeservers are checked for fan-out still due, federation policy changes, and followed groups with messages still to fetch from their hub.");

  /** The section the composition root registers with the configuration loader. */
  public static final ConfigSection<DeliverySettings> SECTION = new ConfigSection<>(DeliveryModule.NAME,
      List.of(QUEUE_RETENTION, QUEUE_CAP, APPLICATION_WINDOW, FEDERATION_LANE_LIMIT, FEDERATION_SWEEP), DeliverySettings::from, settings -> List.of());

  static DeliverySettings from(ConfigValues v) {
    return new DeliverySettings(v.get(QUEUE_RETENTION), v.get(QUEUE_CAP), v.get(APPLICATION_WINDOW),
        v.get(FEDERATION_LANE_LIMIT), v.get(FEDERATION_SWEEP));
  }
}
