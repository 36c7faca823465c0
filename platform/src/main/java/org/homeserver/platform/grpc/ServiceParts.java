package org.homeserver.platform.grpc;

import io.grpc.BindableService;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ServiceModule} as a composition root assembles it: its services, its limits, and what
 * to close when the process stops, closed in reverse order (a background job before the database it
 * uses).
 */
public record ServiceParts(String name, List<BindableService> clientServices, Set<String> publicMethods,
                           long maxRequestBytes, List<BindableService> internalServices,
                           List<BindableService> adminServices, List<AutoCloseable> resources)
    implements ServiceModule {
  private static final Logger log = LoggerFactory.getLogger(ServiceParts.class);

  public ServiceParts {
    clientServices = List.copyOf(clientServices);
    publicMethods = Set.copyOf(publicMethods);
    internalServices = List.copyOf(internalServices);
    adminServices = List.copyOf(adminServices);
    resources = List.copyOf(resources);
  }

  @Override
  public void close() {
    for (AutoCloseable resource : resources.reversed()) {
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("closing service {}", name, e);
      }
    }
  }
}
