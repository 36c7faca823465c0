package org.homeserver.platform.errors;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.homeserver.api.common.v1.ErrorReason;

/**
 * The one domain error: a request the server refuses, with a documented {@link ErrorReason}, an
 * English sentence for the caller, and the facts (ErrorInfo metadata) the caller can act on. Rules
 * classes throw it through the factories below; the gRPC layer alone turns it into a status.
 * Anything else a handler throws is a bug or a passing fault, never shown to the caller as such.
 */
public final class Refusal extends RuntimeException {
  private final ErrorReason reason;
  private final Map<Fact, String> facts;
  private final List<FieldViolation> violations;
  private final Optional<Duration> retryDelay;

  /** One field a google.rpc.BadRequest detail blames, for refusals that name several at once. */
  public record FieldViolation(String field, String description) {}

  private Refusal(ErrorReason reason, String message, Map<Fact, String> facts, List<FieldViolation> violations,
                  Optional<Duration> retryDelay) {
    super(message, null, false, false);
    this.reason = reason;
    Map<Fact, String> copy = new EnumMap<>(Fact.class);
    copy.putAll(facts);
    this.facts = Collections.unmodifiableMap(copy);
    this.violations = List.copyOf(violations);
    this.retryDelay = retryDelay;
  }

  // --- any reason ---

  /** A refusal that carries no facts (GROUP_NOT_FOUND, WRONG_CREDENTIALS, ...). */
  public static Refusal of(ErrorReason reason, String message) {
    return new Refusal(reason, message, Map.of(), List.of(), Optional.empty());
  }

  /** This refusal with one more fact, for the reasons that document it. */
  public Refusal with(Fact fact, Object value) {
    Map<Fact, String> more = new EnumMap<>(Fact.class);
    more.putAll(facts);
    more.put(fact, String.valueOf(value));
    return new Refusal(reason, getMessage(), more, violations, retryDelay);
  }

  /** This refusal with a google.rpc.BadRequest naming {@code violations}, in this order. */
  public Refusal withViolations(List<FieldViolation> violations) {
    return new Refusal(reason, getMessage(), facts, violations, retryDelay);
  }

  // --- the request itself ---

  /** INVALID_ARGUMENT for a request that is wrong as a whole. */
  public static Refusal invalid(String message) {
    return of(ErrorReason.INVALID_ARGUMENT, message);
  }

  /** INVALID_ARGUMENT naming the one field to blame. */
  public static Refusal invalidField(String field, String message) {
    return ofField(ErrorReason.INVALID_ARGUMENT, field, message);
  }

  /** {@code reason}, naming the field to blame (DISPLAY_NAME_INVALID, ...). */
  public static Refusal ofField(ErrorReason reason, String field, String message) {
    return of(reason, message).with(Fact.FIELD, field);
  }

  /** REQUEST_TOO_LARGE: the request, or one of its fields, is larger than {@code limitBytes}. */
  public static Refusal tooLarge(long limitBytes, String message) {
    return of(ErrorReason.REQUEST_TOO_LARGE, message).with(Fact.LIMIT_BYTES, limitBytes);
  }

  /**
   * {@code reason} for a broken rule of the RPC's own list ({@code rule}, e.g. an EndpointRule
   * name), with {@code detail} as the message and as metadata.
   */
  public static Refusal brokenRule(ErrorReason reason, String rule, String detail) {
    return of(reason, detail).with(Fact.RULE, rule).with(Fact.DETAIL, detail);
  }

  // --- limits ---

  /** {@code reason} (TOO_MANY_CLIENTS, TOO_MANY_ENDPOINTS) for a count that reached {@code limit}. */
  public static Refusal limitReached(ErrorReason reason, long limit, String message) {
    return of(reason, message).with(Fact.LIMIT, limit);
  }

  /** RATE_LIMITED: the caller may try again after {@code retryAfter} (a google.rpc.RetryInfo). */
  public static Refusal rateLimited(Duration retryAfter, String message) {
    return new Refusal(ErrorReason.RATE_LIMITED, message, Map.of(), List.of(), Optional.of(retryAfter));
  }

  // --- the state the request met ---

  /** WRONG_EPOCH: the group is at {@code currentEpoch}. */
  public static Refusal wrongEpoch(long currentEpoch, String message) {
    return of(ErrorReason.WRONG_EPOCH, message).with(Fact.CURRENT_EPOCH, currentEpoch);
  }

  // --- passing faults ---

  /** UNAVAILABLE: nothing was done; the caller should retry after {@code retryAfter}. */
  public static Refusal unavailable(Duration retryAfter, String message) {
    return new Refusal(ErrorReason.UNAVAILABLE, message, Map.of(), List.of(), Optional.of(retryAfter));
  }

  /**
   * UNAVAILABLE with outcome {@code unknown}: the request may or may not have taken effect; a retry
   * with the same idempotency key after {@code retryAfter} tells.
   */
  public static Refusal outcomeUnknown(Duration retryAfter, String message) {
    return unavailable(retryAfter, message).with(Fact.OUTCOME, "unknown");
  }

  // --- what the mapping reads ---

  public ErrorReason reason() {
    return reason;
  }

  /** The facts as ErrorInfo metadata: documented key to value. */
  public Map<String, String> metadata() {
    Map<String, String> metadata = new LinkedHashMap<>();
    facts.forEach((fact, value) -> metadata.put(fact.key(), value));
    return Collections.unmodifiableMap(metadata);
  }

  /** The value of one fact, if this refusal states it. */
  public Optional<String> fact(Fact fact) {
    return Optional.ofNullable(facts.get(fact));
  }

  /** When the caller may try again, for refusals worth retrying (google.rpc.RetryInfo). */
  public Optional<Duration> retryDelay() {
    return retryDelay;
  }

  /** The fields a BadRequest detail names; none for most refusals. */
  public List<FieldViolation> violations() {
    return violations;
  }
}
