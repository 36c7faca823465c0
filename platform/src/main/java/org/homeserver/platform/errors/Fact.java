package org.homeserver.platform.errors;

/** The ErrorInfo metadata keys the API documents (common.proto and each RPC), each named once. */
public enum Fact {
  /** The request field to blame, as a path: {@code policy.ttl_seconds}, {@code key_packages[3]}. */
  FIELD("field"),
  /** A count the caller has reached (TOO_MANY_CLIENTS, TOO_MANY_ENDPOINTS). */
  LIMIT("limit"),
  /** The largest size allowed, in bytes (REQUEST_TOO_LARGE). */
  LIMIT_BYTES("limit_bytes"),
  /** The group's epoch, in decimal (WRONG_EPOCH). */
  CURRENT_EPOCH("current_epoch"),
  /** The domain a refusal is about (ADD_DOMAIN_FORBIDDEN). */
  DOMAIN("domain"),
  /** {@code unknown} when a request may or may not have taken effect (UNAVAILABLE). */
  OUTCOME("outcome"),
  /** Whose limit was reached, when it is not the caller's own (RATE_LIMITED: {@code user}). */
  SCOPE("scope"),
  /** The name of the rule broken, from the RPC's own list (KeyPackageRule, EndpointRule, ...). */
  RULE("rule"),
  /** What exactly broke the rule. */
  DETAIL("detail"),
  /** The position of the failing item in a repeated field. */
  INDEX("index"),
  /** The client concerned. */
  CLIENT_ID("client_id"),
  /** The byte offset at which decoding failed (MLS_MESSAGE_MALFORMED). */
  OFFSET("offset"),
  /** What the other user is to the caller, a Relationship name (CONNECTION_EXISTS). */
  RELATIONSHIP("relationship");

  private final String key;

  Fact(String key) {
    this.key = key;
  }

  /** The key as it appears in ErrorInfo metadata. */
  public String key() {
    return key;
  }
}
