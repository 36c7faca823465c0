package org.homeserver.platform.grpc;

import io.grpc.BindableService;
import java.util.List;
import java.util.Set;

/**
 * What one service (auth, directory, ...) contributes to a process: its client API, its internal
 * API and its admin API. Built by the service's own composition root from a {@code ServiceContext}.
 */
public interface ServiceModule extends AutoCloseable {
  /** The short name used by {@code serve --service NAME}, e.g. "auth". */
  String name();

  /** Services on the public port; every method is authenticated unless in {@link #publicMethods()}. */
  List<BindableService> clientServices();

  /** Full method names (service/method) that need no access token. */
  Set<String> publicMethods();

  /** The largest request message this service's client API accepts. */
  long maxRequestBytes();

  /** Services the other services call; never on the public port. */
  List<BindableService> internalServices();

  /** Services on the admin port. */
  List<BindableService> adminServices();

  /**
   * Stops the service's background work (workers, sweeps, streams) once no client or admin call
   * runs any more. Its internal API and its pools stay up, for the other services' work stopping
   * at the same time.
   */
  void stopWork();

  /** Closes the service's pools and stores, once every service's work has stopped. */
  @Override
  void close();
}
