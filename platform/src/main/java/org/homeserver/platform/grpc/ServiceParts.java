package org.homeserver.platform.grpc;

import io.grpc.BindableService;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ServiceModule} as a composition root assembles it: its services, its limits, and what
 * to stop when the process stops: its background work first, then its pools and stores, each list
 * in reverse order (a sweep before the worker it feeds, a job queue before the database under it).
 */
public record ServiceParts(String name, List<BindableService> clientServices, Set<String> publicMethods,
                           long maxRequestBytes, List<BindableService> internalServices,
                           List<BindableService> adminServices, List<AutoCloseable> work,
                           List<AutoCloseable> stores)
    implements ServiceModule {
  private static final Logger log = LoggerFactory.getLogger(ServiceParts.class);

  public ServiceParts {
    clientServices = List.copyOf(clientServices);
    publicMethods = Set.copyOf(publicMethods);
    internalServices = List.copyOf(internalServices);
    adminServices = List.copyOf(adminServices);
    work = List.copyOf(work);
    stores = List.copyOf(stores);
  }

  @Override
  public void stopWork() {
    closeAll(work);
  }

  @Override
  public void close() {
    closeAll(stores);
  }

  private void closeAll(List<AutoCloseable> resources) {
    for (AutoCloseable resource : resources.reversed()) {
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("closing service {}", name, e);
      }
    }
  }
}
