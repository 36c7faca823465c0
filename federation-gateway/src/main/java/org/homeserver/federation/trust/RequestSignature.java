package org.homeserver.federation.trust;

import io.grpc.Metadata;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.platform.errors.Fact;
import org.homeserver.platform.errors.Refusal;

/**
 * The signature every signed federation call carries in its metadata (federation.proto
 * SIGNATURES): made by the sender with its federation key, checked by the receiver against the key
 * the origin publishes.
 */
public final class RequestSignature {
  public static final Metadata.Key<String> ORIGIN = key("hs-fed-origin");
  public static final Metadata.Key<String> DESTINATION = key("hs-fed-destination");
  public static final Metadata.Key<String> REQUEST_ID = key("hs-fed-request-id");
  public static final Metadata.Key<String> TIMESTAMP = key("hs-fed-timestamp");
  public static final Metadata.Key<String> KEY_ID = key("hs-fed-key-id");
  public static final Metadata.Key<String> SIGNATURE = key("hs-fed-signature");

  /** How far a signature's timestamp may be from the receiver's clock, either way. */
  public static final Duration MAX_SKEW = Duration.ofMinutes(5);
  /** How long a receiver remembers a request id: past the time window on both sides. */
  public static final Duration REMEMBERED = Duration.ofMinutes(10);

  private static final String CONTEXT = "homeserver-federation-v1\n";
  private static final Pattern REQUEST_ID_FORM = Pattern.compile("[A-Za-z0-9_-]{16,64}");
  /** Decimal seconds, at most 12 digits (beyond the year 30000), so any that match is an Instant. */
  private static final Pattern TIMESTAMP_FORM = Pattern.compile("0|[1-9][0-9]{0,11}");
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
  private static final SecureRandom RANDOM = new SecureRandom();

  private RequestSignature() {}

  /** A peer's federation key as its GetFederationKeys published it. */
  public record PeerKey(byte[] publicKey, Instant validFrom, Instant validUntil) {
    public PeerKey {
      publicKey = publicKey.clone();
    }

    @Override
    public byte[] publicKey() {
      return publicKey.clone();
    }

    boolean validAt(Instant moment) {
      return !moment.isBefore(validFrom) && moment.isBefore(validUntil);
    }
  }

  /** The keys peers publish; the caller fetches and keeps them (GetFederationKeys). */
  @FunctionalInterface
  public interface KeyLookup {
    /** The key {@code keyId} of {@code origin}, if the origin publishes it. */
    Optional<PeerKey> key(String origin, String keyId);
  }

  /** A call whose signature verified: who sent it, its request id (for {@link SeenRequests}) and when it was signed. */
  public record Verified(String origin, String requestId, Instant timestamp) {
    /** Until when the receiver must remember the request id to refuse a replay. */
    public Instant rememberUntil() {
      return timestamp.plus(REMEMBERED);
    }
  }

  /**
   * The metadata that signs a call of {@code fullMethod} from {@code origin} to {@code destination}
   * whose request message serializes to {@code requestBytes}, made at {@code now} with a new request id.
   */
  public static Metadata sign(SigningKey key, String fullMethod, String origin, String destination,
                              byte[] requestBytes, Instant now) {
    byte[] id = new byte[16];
    RANDOM.nextBytes(id);
    String requestId = BASE64URL.encodeToString(id);
    String timestamp = Long.toString(now.getEpochSecond());
    byte[] signature = key.sign(signedBytes(fullMethod, origin, destination, requestId, timestamp, requestBytes));
    Metadata headers = new Metadata();
    headers.put(ORIGIN, origin);
    headers.put(DESTINATION, destination);
    headers.put(REQUEST_ID, requestId);
    headers.put(TIMESTAMP, timestamp);
    headers.put(KEY_ID, key.keyId());
    headers.put(SIGNATURE, BASE64URL.encodeToString(signature));
    return headers;
  }

  /**
   * The sender of a call of {@code fullMethod} to {@code expectedDestination} (this homeserver's
   * domain) whose request message serializes to {@code requestBytes}, if {@code headers} sign it
   * under a key the origin publishes for that moment, within {@link #MAX_SKEW} of {@code now}.
   * The caller checks first that {@link #ORIGIN} is the domain of the peer's certificate (the lookup
   * may fetch that origin's keys), and afterwards that the request id is new ({@link SeenRequests}).
   *
   * @throws Refusal FEDERATION_SIGNATURE_INVALID, with metadata {@code detail} saying what is wrong
   */
  public static Verified verify(Metadata headers, String fullMethod, String expectedDestination, byte[] requestBytes,
                                KeyLookup keys, Instant now) {
    String origin = required(headers, ORIGIN);
    String destination = required(headers, DESTINATION);
    String requestId = required(headers, REQUEST_ID);
    String timestampText = required(headers, TIMESTAMP);
    String keyId = required(headers, KEY_ID);
    String signatureText = required(headers, SIGNATURE);
    if (!REQUEST_ID_FORM.matcher(requestId).matches()) {
      throw invalid(REQUEST_ID.name() + " must be 16 to 64 characters of A-Z a-z 0-9 - _");
    }
    if (!TIMESTAMP_FORM.matcher(timestampText).matches()) {
      throw invalid(TIMESTAMP.name() + " must be seconds since the epoch, in decimal");
    }
    byte[] signature;
    try {
      signature = Base64.getUrlDecoder().decode(signatureText);
    } catch (IllegalArgumentException e) {
      throw invalid(SIGNATURE.name() + " is not base64url");
    }
    if (!destination.equals(expectedDestination)) {
      throw invalid("the call is signed for destination " + destination + ", not " + expectedDestination);
    }
    Instant timestamp = Instant.ofEpochSecond(Long.parseLong(timestampText));
    if (Duration.between(timestamp, now).abs().compareTo(MAX_SKEW) > 0) {
      throw invalid("the call was signed at " + timestamp + ", more than " + MAX_SKEW.toMinutes()
          + " minutes off the receiver's clock (" + now.getEpochSecond() + ")");
    }
    PeerKey key = keys.key(origin, keyId)
        .orElseThrow(() -> invalid("key " + keyId + " is not one " + origin + " publishes"));
    if (!key.validAt(timestamp)) {
      throw invalid("key " + keyId + " of " + origin + " is valid from " + key.validFrom() + " until "
          + key.validUntil() + ", not at " + timestamp);
    }
    byte[] signed = signedBytes(fullMethod, origin, destination, requestId, timestampText, requestBytes);
    if (!SigningKey.verify(key.publicKey(), signed, signature)) {
      throw invalid("the signature does not verify under key " + keyId + " of " + origin
          + " for this method, request id, timestamp and request message");
    }
    return new Verified(origin, requestId, timestamp);
  }

  /** The UTF-8 of the string SIGNATURES defines. */
  static byte[] signedBytes(String fullMethod, String origin, String destination, String requestId, String timestamp,
                            byte[] requestBytes) {
    return (CONTEXT + fullMethod + "\n" + origin + "\n" + destination + "\n" + requestId + "\n" + timestamp + "\n"
        + BASE64URL.encodeToString(sha256(requestBytes)) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  private static String required(Metadata headers, Metadata.Key<String> key) {
    String value = headers.get(key);
    if (value == null || value.isEmpty()) {
      throw invalid("the call carries no " + key.name());
    }
    return value;
  }

  private static Refusal invalid(String detail) {
    return Refusal.of(ErrorReason.FEDERATION_SIGNATURE_INVALID, "the call's federation signature is refused: " + detail)
        .with(Fact.DETAIL, detail);
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  private static Metadata.Key<String> key(String name) {
    return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
  }
}
