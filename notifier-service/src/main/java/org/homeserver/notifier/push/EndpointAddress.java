package org.homeserver.notifier.push;

import java.net.URI;
import java.util.Objects;

/** Where pushes for one endpoint go, per kind (notifier.proto Endpoint.address). */
public sealed interface EndpointAddress {
  /** A Web Push subscription: the push service URL and the keys of RFC 8291. */
  record WebPush(URI url, byte[] p256dh, byte[] auth) implements EndpointAddress {
    public WebPush {
      Objects.requireNonNull(url, "url");
      p256dh = p256dh.clone();
      auth = auth.clone();
    }

    @Override
    public byte[] p256dh() {
      return p256dh.clone();
    }

    @Override
    public byte[] auth() {
      return auth.clone();
    }
  }

  /** A plain HTTPS webhook (UnifiedPush style). */
  record Webhook(URI url) implements EndpointAddress {
    public Webhook {
      Objects.requireNonNull(url, "url");
    }
  }

  /** An APNs device: its token (hex), the app's bundle id (apns-topic), production or sandbox. */
  record Apns(String deviceToken, String topic, boolean sandbox) implements EndpointAddress {
    public Apns {
      Objects.requireNonNull(deviceToken, "deviceToken");
      Objects.requireNonNull(topic, "topic");
    }
  }

  /** An FCM device: its registration token. */
  record Fcm(String registrationToken) implements EndpointAddress {
    public Fcm {
      Objects.requireNonNull(registrationToken, "registrationToken");
    }
  }
}
