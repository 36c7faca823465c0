package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.homeserver.api.common.v1.Exposure;
import org.homeserver.platform.grpc.ApiCatalog;
import org.homeserver.platform.grpc.ApiCatalog.ApiService;
import org.junit.jupiter.api.Test;

/**
 * The gateway's routes, nginx's and the Gateway API's, are made from one list: the client services
 * the .proto files declare ({@code option (homeserver.common.v1.exposure) = EXPOSURE_CLIENT}). This
 * test renders both from that list and fails when a file in deploy/ differs; run it with
 * {@code -Dgateway-routes.write=true} to write them again after a .proto change.
 */
class GatewayRoutesTest {
  static final Path NGINX_ROUTES = Path.of("..", "deploy", "nginx", "grpc-services.conf");
  static final Path GRPC_ROUTES = Path.of("..", "deploy", "k8s", "base", "gateway", "grpcroutes.yaml");
  private static final String HEADER = "Generated from the client services the .proto files declare, by "
      + "GatewayRoutesTest: do not edit.\n# After a .proto change: "
      + "mvn -pl homeserver verify -Dtest=GatewayRoutesTest -Dgateway-routes.write=true";

  /** The client services, each with the homeserver service that serves it. */
  static List<ApiService> clientServices() {
    return ApiCatalog.services(Exposure.EXPOSURE_CLIENT);
  }

  /** nginx: one location per client service, passed to the upstream named after its homeserver service. */
  static String nginxRoutes() {
    StringBuilder out = new StringBuilder("# " + HEADER + "\n"
        + "# One location per client gRPC service, to the upstream named after the service that serves it\n"
        + "# (upstreams.conf). A call to any other service gets UNIMPLEMENTED (server.conf).\n");
    for (ApiService service : clientServices()) {
      out.append("\nlocation /").append(service.fullName()).append("/ {\n")
          .append("    grpc_pass grpc://").append(service.backend()).append(";\n")
          .append("}\n");
    }
    return out.toString();
  }

  /** Gateway API: one GRPCRoute per client service, to the Service named after its homeserver service. */
  static String grpcRoutes() {
    StringBuilder out = new StringBuilder("# " + HEADER + "\n"
        + "# One GRPCRoute per client gRPC service, on the Gateway's `grpc` listener, to the public port of\n"
        + "# the Service named after the homeserver service that serves it.\n");
    for (ApiService service : clientServices()) {
      out.append("---\n")
          .append("apiVersion: gateway.networking.k8s.io/v1\n")
          .append("kind: GRPCRoute\n")
          .append("metadata:\n")
          .append("  name: ").append(service.backend()).append("-api\n")
          .append("spec:\n")
          .append("  parentRefs:\n")
          .append("  - name: homeserver\n")
          .append("    sectionName: grpc\n")
          .append("  rules:\n")
          .append("  - matches:\n")
          .append("    - method:\n")
          .append("        type: Exact\n")
          .append("        service: ").append(service.fullName()).append("\n")
          .append("    backendRefs:\n")
          .append("    - name: ").append(service.backend()).append("\n")
          .append("      port: 7400\n");
    }
    return out.toString();
  }

  @Test
  void theRoutesInDeployAreTheOnesTheProtoFilesDeclare() throws IOException {
    Map<Path, String> expected = Map.of(NGINX_ROUTES, nginxRoutes(), GRPC_ROUTES, grpcRoutes());
    if (Boolean.getBoolean("gateway-routes.write")) {
      for (var file : expected.entrySet()) {
        Files.writeString(file.getKey(), file.getValue());
      }
    }
    for (var file : expected.entrySet()) {
      assertEquals(file.getValue(), Files.exists(file.getKey()) ? Files.readString(file.getKey()) : "",
          file.getKey() + " is not what the .proto files declare; write it again with "
              + "-Dgateway-routes.write=true");
    }
  }

  @Test
  void everyClientServiceIsServedByAServiceThisBuildHas() {
    Set<String> backends = clientServices().stream().map(ApiService::backend).collect(Collectors.toSet());
    assertFalse(backends.isEmpty(), "the .proto files declare client services");
    assertEquals(Set.of(), backends.stream().filter(b -> !Homeserver.SERVICES.contains(b)).collect(Collectors.toSet()),
        "client services of packages no homeserver service serves");
  }
}
