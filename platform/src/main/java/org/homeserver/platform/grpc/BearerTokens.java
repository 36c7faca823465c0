package org.homeserver.platform.grpc;

import io.grpc.Metadata;
import java.util.Optional;

/** Reads the {@code authorization: Bearer <token>} header. */
public final class BearerTokens {
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String PREFIX = "Bearer ";

  private BearerTokens() {}

  public static Optional<String> from(Metadata headers) {
    String value = headers.get(AUTHORIZATION);
    if (value == null || !value.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
      return Optional.empty();
    }
    String token = value.substring(PREFIX.length()).trim();
    return token.isEmpty() ? Optional.empty() : Optional.of(token);
  }

  /** Call credentials that send {@code token} as a bearer token; for clients and tests. */
  public static io.grpc.CallCredentials credentials(String token) {
    return new io.grpc.CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, java.util.concurrent.Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, PREFIX + token);
        applier.apply(headers);
      }
    };
  }
}
