package org.homeserver.platform.grpc;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.homeserver.api.common.v1.Exposure;
import org.homeserver.platform.grpc.tls.InternalPortTls;

/**
 * Channels to the internal APIs of the other services, all with one default service config made
 * from the .proto files ({@link ApiCatalog}): calls go round-robin over every instance of the
 * service, a call without a deadline of its own gets {@link #DEFAULT_DEADLINE}, and a method that
 * declares a repeat harmless ({@code idempotency_level}) is tried again, with backoff, when an
 * attempt fails UNAVAILABLE (an instance going away, a refused connection). Nothing else is retried:
 * callers do not loop on failures themselves.
 *
 * <p>A target is {@code host:port}, {@code dns:///name:port} (every address the name has, such as a
 * Kubernetes headless Service; resolved again when a connection fails) or a fixed list
 * {@code host:port,host:port}, each instance of which is called, and with TLS checked, by its own
 * host name.
 */
public final class InternalChannels {
  static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);
  /** Attempts of a retried call, the first included. */
  static final int MAX_ATTEMPTS = 4;
  /** The scheme of a fixed list of addresses. */
  private static final String LIST_SCHEME = "homeserver-list";

  static {
    NameResolverRegistry.getDefaultRegistry().register(new AddressListResolverProvider());
  }

  private InternalChannels() {}

  /** A channel to {@code target}, presenting {@code token}, over the operator's mutual TLS when given. */
  public static ManagedChannel network(String target, String token, Optional<InternalPortTls> tls) {
    NettyChannelBuilder builder = NettyChannelBuilder.forTarget(target.contains(",") ? LIST_SCHEME + ":///" + target : target)
        .defaultServiceConfig(serviceConfig(true))
        .enableRetry()
        .intercept(SharedTokenInterceptor.sending(token));
    tls.ifPresentOrElse(t -> builder.sslContext(t.client()), builder::usePlaintext);
    return builder.build();
  }

  /** A channel to the internal APIs served in this process under {@code name}. */
  public static ManagedChannel inProcess(String name) {
    return InProcessChannelBuilder.forName(name).directExecutor()
        .defaultServiceConfig(serviceConfig(false))
        .enableRetry()
        .build();
  }

  /**
   * The service config (gRPC's JSON form, as maps): the deadline for every internal service, the
   * retry policy for the methods that may be repeated, and round-robin when {@code balance}.
   */
  static Map<String, Object> serviceConfig(boolean balance) {
    List<Map<String, Object>> every = new ArrayList<>();
    List<Map<String, Object>> retryable = new ArrayList<>();
    for (ApiCatalog.ApiService service : ApiCatalog.services(Exposure.EXPOSURE_INTERNAL)) {
      every.add(Map.of("service", service.fullName()));
      for (ApiCatalog.Method method : service.methods()) {
        if (method.retryable()) {
          retryable.add(Map.of("service", service.fullName(), "method", method.name()));
        }
      }
    }
    String deadline = DEFAULT_DEADLINE.toSeconds() + "s";
    Map<String, Object> retry = Map.of(
        "maxAttempts", (double) MAX_ATTEMPTS,
        "initialBackoff", "0.2s",
        "maxBackoff", "2s",
        "backoffMultiplier", 2.0,
        "retryableStatusCodes", List.of(Status.Code.UNAVAILABLE.name()));
    Map<String, Object> config = new LinkedHashMap<>();
    if (balance) {
      config.put("loadBalancingConfig", List.of(Map.of("round_robin", Map.of())));
    }
    config.put("methodConfig", List.of(
        Map.of("name", every, "timeout", deadline),
        Map.of("name", retryable, "timeout", deadline, "retryPolicy", retry)));
    return config;
  }

  /** Resolves {@code homeserver-list:///host:port,host:port} to those addresses, once. */
  private static final class AddressListResolverProvider extends NameResolverProvider {
    @Override
    public NameResolver newNameResolver(URI target, NameResolver.Args args) {
      if (!LIST_SCHEME.equals(target.getScheme())) {
        return null;
      }
      List<EquivalentAddressGroup> addresses = new ArrayList<>();
      for (String item : target.getPath().substring(1).split(",")) {
        URI address = URI.create("//" + item.strip());
        if (address.getHost() == null || address.getPort() < 0) {
          throw new IllegalArgumentException("not host:port: " + item + " in " + target);
        }
        SocketAddress socket = new InetSocketAddress(address.getHost(), address.getPort());
        // Each instance is called, and its certificate checked, by its own name.
        addresses.add(new EquivalentAddressGroup(socket, Attributes.newBuilder()
            .set(EquivalentAddressGroup.ATTR_AUTHORITY_OVERRIDE, address.getHost()).build()));
      }
      String authority = addresses.getFirst().getAttributes().get(EquivalentAddressGroup.ATTR_AUTHORITY_OVERRIDE);
      return new NameResolver() {
        @Override
        public String getServiceAuthority() {
          return authority;
        }

        @Override
        public void start(Listener2 listener) {
          listener.onResult(ResolutionResult.newBuilder().setAddresses(addresses).build());
        }

        @Override
        public void shutdown() {}
      };
    }

    @Override
    public String getDefaultScheme() {
      return LIST_SCHEME;
    }

    @Override
    protected boolean isAvailable() {
      return true;
    }

    /** Below DNS's 5, so that a target without a scheme stays a DNS name. */
    @Override
    protected int priority() {
      return 4;
    }

    @Override
    public java.util.Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
      return List.of(InetSocketAddress.class);
    }
  }
}
