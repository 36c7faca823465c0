package org.homeserver.federation;

import static org.homeserver.platform.config.ValueParsers.bool;
import static org.homeserver.platform.config.ValueParsers.duration;
import static org.homeserver.platform.config.ValueParsers.integer;
import static org.homeserver.platform.config.ValueParsers.list;
import static org.homeserver.platform.config.ValueParsers.matching;
import static org.homeserver.platform.config.ValueParsers.oneOf;
import static org.homeserver.platform.config.ValueParsers.words;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.homeserver.platform.config.ConfigLoader.ConfigValues;
import org.homeserver.platform.config.ConfigSection;
import org.homeserver.platform.config.Setting;

/** The federation gateway's configuration: its keys (federation.*) and the settings they make. */
public record FederationSettings(
    String host,
    int port,
    Optional<Path> certificateFile,
    Optional<Path> keyFile,
    Optional<Path> trustAnchorsFile,
    Map<String, String> peers,
    Mode initialMode,
    List<String> initialDomains,
    boolean allowPrivateAddresses,
    Optional<String> dnsServer,
    Duration backoffBase) {

  /** The policy's two modes (federation_admin.proto FederationMode). */
  public enum Mode { ALLOWLIST, OPEN }

  /** The federation port a domain without an SRV record is reached on. */
  public static final int DEFAULT_PORT = 7443;

  private static final Pattern DOMAIN = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+");
  private static final Pattern PEER = Pattern.compile(DOMAIN.pattern() + "=[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}");

  public static final Setting<String> HOST = new Setting<>("federation.host", "0.0.0.0",
      matching(Pattern.compile("[A-Za-z0-9.:\\-\\[\\]]+")), "a host name or IP address",
      "Address of the federation port, where other homeservers call over mutual TLS.");
  public static final Setting<Integer> PORT = new Setting<>("federation.port", "0", integer(0, 65535),
      "0 (off) or a port",
      "The federation port (" + DEFAULT_PORT + " is the one peers try when the domain has no SRV record). "
          + "0: no peer can call this homeserver; it still calls peers when the policy allows.");
  public static final Setting<String> CERTIFICATE_FILE = new Setting<>("federation.certificate-file", "",
      t -> t, "empty or a PEM file path",
      "This homeserver's federation certificate chain, leaf first. Its DNS SAN must be the home domain; it is "
          + "served on the federation port and presented as the client certificate when calling peers.");
  public static final Setting<String> KEY_FILE = new Setting<>("federation.key-file", "", t -> t,
      "empty or a PEM file path", "The private key of federation.certificate-file (PKCS#8 or traditional PEM).");
  public static final Setting<String> TRUST_ANCHORS_FILE = new Setting<>("federation.trust-anchors-file", "",
      t -> t, "empty or a PEM file path",
      "The CA certificates a peer's certificate must chain to (PEM, one or more). Empty: the JDK's public CAs.");
  public static final Setting<List<String>> PEERS = new Setting<>("federation.peers", "", list(PEER),
      "empty or domain=host:port items separated by commas",
      "The static peer table, tried before DNS: where each listed domain's federation port is.");
  public static final Setting<Mode> POLICY = new Setting<>("federation.policy", "allowlist", oneOf(Mode.class),
      words(Mode.class),
      "The policy's mode the first time this homeserver starts; after that the stored policy rules and "
          + "`homeserver admin federation policy` changes it.");
  public static final Setting<List<String>> DOMAINS = new Setting<>("federation.domains", "", list(DOMAIN),
      "empty or lower-case domains separated by commas",
      "The first policy's allowlist (allowlist mode) or blocklist (open mode). Empty allowlist: no federation.");
  public static final Setting<Boolean> ALLOW_PRIVATE = new Setting<>("federation.allow-private-addresses", "false",
      bool(), "true or false",
      "Let discovery answer loopback, private and link-local addresses (for a private network or tests). Off: "
          + "a peer whose address is one of them is unreachable.");
  public static final Setting<String> DNS_SERVER = new Setting<>("federation.dns-server", "",
      t -> t.isEmpty() ? t : matching(Pattern.compile("[A-Za-z0-9.:\\-\\[\\]]+:[0-9]{1,5}")).apply(t),
      "empty or host:port", "The DNS server asked for SRV records. Empty: the first nameserver of /etc/resolv.conf.");
  public static final Setting<Duration> BACKOFF_BASE = new Setting<>("federation.outbox.backoff-base", "5s",
      duration(Duration.ofMillis(100), Duration.ofMinutes(5)), "a duration from 100ms to 5m",
      "After three quick retries, the outbox waits this long towards a failing peer, doubling with each "
          + "further failure, with jitter, up to 5 minutes.");

  /** The section the composition root registers with the configuration loader. */
  public static final ConfigSection<FederationSettings> SECTION = new ConfigSection<>(FederationModule.NAME,
      List.of(HOST, PORT, CERTIFICATE_FILE, KEY_FILE, TRUST_ANCHORS_FILE, PEERS, POLICY, DOMAINS, ALLOW_PRIVATE,
          DNS_SERVER, BACKOFF_BASE),
      FederationSettings::from, FederationSettings::inconsistencies);

  static FederationSettings from(ConfigValues v) {
    Map<String, String> peers = new LinkedHashMap<>();
    for (String entry : v.get(PEERS)) {
      int eq = entry.indexOf('=');
      peers.put(entry.substring(0, eq), entry.substring(eq + 1));
    }
    return new FederationSettings(v.get(HOST), v.get(PORT), path(v.get(CERTIFICATE_FILE)), path(v.get(KEY_FILE)),
        path(v.get(TRUST_ANCHORS_FILE)), Map.copyOf(peers), v.get(POLICY), v.get(DOMAINS), v.get(ALLOW_PRIVATE),
        Optional.of(v.get(DNS_SERVER)).filter(s -> !s.isEmpty()), v.get(BACKOFF_BASE));
  }

  private static Optional<Path> path(String text) {
    return text.isEmpty() ? Optional.empty() : Optional.of(Path.of(text));
  }

  /** Whether this homeserver can speak to peers: it has a certificate and key to present. */
  public boolean hasIdentity() {
    return certificateFile.isPresent() && keyFile.isPresent();
  }

  List<String> inconsistencies() {
    List<String> problems = new ArrayList<>();
    if (certificateFile.isPresent() != keyFile.isPresent()) {
      problems.add("config: federation.certificate-file: federation.certificate-file and federation.key-file go "
          + "together; set both to federate, or neither");
    }
    if (port != 0 && !hasIdentity()) {
      problems.add("config: federation.port: the federation port needs federation.certificate-file and "
          + "federation.key-file (a certificate whose DNS SAN is the home domain)");
    }
    return problems;
  }
}
