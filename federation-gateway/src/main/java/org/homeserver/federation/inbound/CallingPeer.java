package org.homeserver.federation.inbound;

import io.grpc.Context;

/** The domain of the homeserver making the current federation call, as its certificate and signature proved it. */
public final class CallingPeer {
  static final Context.Key<String> DOMAIN = Context.key("federation-peer-domain");

  private CallingPeer() {}

  public static String domain() {
    String domain = DOMAIN.get();
    if (domain == null) {
      throw new IllegalStateException("not in a federation call authenticated by PeerInterceptor");
    }
    return domain;
  }
}
