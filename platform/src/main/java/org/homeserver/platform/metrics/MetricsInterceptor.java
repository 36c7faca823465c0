package org.homeserver.platform.metrics;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** Times every gRPC call, tagged by service, method and status code (grpc_server_calls_seconds). */
public final class MetricsInterceptor implements ServerInterceptor {
  private final MeterRegistry registry;

  public MetricsInterceptor(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                    ServerCallHandler<Q, R> next) {
    Timer.Sample sample = Timer.start(registry);
    var method = call.getMethodDescriptor();
    return next.startCall(new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        sample.stop(Timer.builder("grpc.server.calls")
            .tag("service", String.valueOf(method.getServiceName()))
            .tag("method", String.valueOf(method.getBareMethodName()))
            .tag("code", status.getCode().name())
            .register(registry));
        super.close(status, trailers);
      }
    }, headers);
  }
}
