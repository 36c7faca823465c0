package org.homeserver.notifier;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.notifier.v1.EndpointKind;
import org.homeserver.api.notifier.v1.EndpointRule;
import org.homeserver.api.notifier.v1.RegisterEndpointRequest;
import org.homeserver.notifier.fcm.FcmRegistrationToken;
import org.homeserver.notifier.push.EndpointAddress;
import org.homeserver.notifier.webpush.WebPushEncryption;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.errors.Refusal;

/** The rules of a client's push endpoints: what may be registered, how many, and by whom. */
public final class Endpoints {
  private final NotifierStore store;
  private final AddressGuard guard;
  private final Set<EndpointKind> enabled;
  private final Set<String> apnsTopics;
  private final int maxPerClient;
  private final Clock clock;

  public Endpoints(NotifierStore store, AddressGuard guard, Set<EndpointKind> enabled, Set<String> apnsTopics,
      int maxPerClient, Clock clock) {
    this.store = store;
    this.guard = guard;
    this.enabled = Set.copyOf(enabled);
    this.apnsTopics = Set.copyOf(apnsTopics);
    this.maxPerClient = maxPerClient;
    this.clock = clock;
  }

  /**
   * Registers the endpoint of the request for the caller, or updates the caller's endpoint with the
   * same address. The answer is the endpoint as stored; a retry under the same idempotency key gets
   * the first answer.
   */
  public Endpoint register(Principal caller, RegisterEndpointRequest request) {
    EndpointKind kind = switch (request.getAddressCase()) {
      case WEB_PUSH -> EndpointKind.ENDPOINT_KIND_WEB_PUSH;
      case WEBHOOK -> EndpointKind.ENDPOINT_KIND_WEBHOOK;
      case APNS -> EndpointKind.ENDPOINT_KIND_APNS;
      case FCM -> EndpointKind.ENDPOINT_KIND_FCM;
      case ADDRESS_NOT_SET -> throw new IllegalStateException("the request rules require an address");
    };
    if (!enabled.contains(kind)) {
      throw Refusal.of(ErrorReason.ENDPOINT_KIND_DISABLED, "this homeserver does not push to " + kind
          + " endpoints");
    }
    EndpointAddress address = addressOf(request);
    Optional<IdempotentRequest> idempotent =
        IdempotentRequest.ifKeyed(caller.clientUuid(), request.getIdempotencyKey(), request);
    Instant now = clock.instant();
    return store.inTransaction(h -> {
      Optional<byte[]> earlier = idempotent.flatMap(r -> r.claim(h, now));
      if (earlier.isPresent()) {
        UUID id = UUID.fromString(new String(earlier.get(), StandardCharsets.US_ASCII));
        return store.endpoint(id).orElseThrow(() -> Refusal.of(ErrorReason.ENDPOINT_NOT_FOUND,
            "the endpoint registered under this idempotency key was deleted since"));
      }
      int count = store.countForUpdate(h, caller.clientUuid());
      if (count >= maxPerClient && !store.hasAddress(h, caller.clientUuid(), address)) {
        throw Refusal.limitReached(ErrorReason.TOO_MANY_ENDPOINTS, maxPerClient,
            "a client may register at most " + maxPerClient + " endpoints");
      }
      Endpoint stored = store.upsert(h, new Endpoint(UUID.randomUUID(), caller.clientUuid(), caller.userId(), address,
          now, Optional.empty(), Optional.empty(), ""));
      idempotent.ifPresent(r -> r.recordAnswer(h, stored.id().toString().getBytes(StandardCharsets.US_ASCII)));
      return stored;
    });
  }

  public List<Endpoint> list(Principal caller) {
    return store.endpointsOf(caller.clientUuid());
  }

  public void delete(Principal caller, String endpointId) {
    UUID id;
    try {
      id = UUID.fromString(endpointId);
    } catch (IllegalArgumentException e) {
      throw Refusal.of(ErrorReason.ENDPOINT_NOT_FOUND, "no endpoint " + endpointId);
    }
    if (!store.delete(caller.clientUuid(), id)) {
      throw Refusal.of(ErrorReason.ENDPOINT_NOT_FOUND, "no endpoint " + endpointId);
    }
  }

  /** The address a registration names, checked; ENDPOINT_INVALID with the rule it breaks if not. */
  EndpointAddress addressOf(RegisterEndpointRequest request) {
    return switch (request.getAddressCase()) {
      case WEB_PUSH -> {
        var subscription = request.getWebPush();
        URI url = url(subscription.getEndpointUrl());
        byte[] p256dh = subscription.getP256Dh().toByteArray();
        byte[] auth = subscription.getAuth().toByteArray();
        try {
          WebPushEncryption.requireValidKeys(p256dh, auth);
        } catch (IllegalArgumentException e) {
          throw invalid(EndpointRule.ENDPOINT_RULE_KEY_INVALID, e.getMessage());
        }
        yield new EndpointAddress.WebPush(url, p256dh, auth);
      }
      case WEBHOOK -> new EndpointAddress.Webhook(url(request.getWebhook().getUrl()));
      case APNS -> {
        var device = request.getApns();
        if (!apnsTopics.contains(device.getTopic())) {
          throw invalid(EndpointRule.ENDPOINT_RULE_TOPIC_NOT_ALLOWED, "topic " + device.getTopic()
              + " is not an app this homeserver pushes to");
        }
        yield new EndpointAddress.Apns(device.getDeviceToken().toLowerCase(java.util.Locale.ROOT), device.getTopic(),
            device.getSandbox());
      }
      case FCM -> {
        String token = request.getFcm().getRegistrationToken();
        if (!FcmRegistrationToken.isWellFormed(token)) {
          throw invalid(EndpointRule.ENDPOINT_RULE_TOKEN_MALFORMED, "an FCM registration token is printable ASCII");
        }
        yield new EndpointAddress.Fcm(token);
      }
      case ADDRESS_NOT_SET -> throw new IllegalStateException("register checks that an address is set");
    };
  }

  private URI url(String text) {
    URI url;
    try {
      url = new URI(text);
    } catch (URISyntaxException e) {
      throw invalid(EndpointRule.ENDPOINT_RULE_URL_MALFORMED, "not a URL: " + e.getReason());
    }
    AddressGuard.Refusal refusal = guard.check(url);
    if (refusal != null) {
      throw invalid(switch (refusal.rule()) {
        case MALFORMED -> EndpointRule.ENDPOINT_RULE_URL_MALFORMED;
        case HTTPS_REQUIRED -> EndpointRule.ENDPOINT_RULE_HTTPS_REQUIRED;
        case UNRESOLVABLE -> EndpointRule.ENDPOINT_RULE_UNRESOLVABLE;
        case ADDRESS_NOT_ALLOWED -> EndpointRule.ENDPOINT_RULE_ADDRESS_NOT_ALLOWED;
      }, refusal.detail());
    }
    return url;
  }

  private static Refusal invalid(EndpointRule rule, String detail) {
    return Refusal.brokenRule(ErrorReason.ENDPOINT_INVALID, rule.name(), detail);
  }
}
