package org.homeserver.federation;

import java.util.List;
import java.util.Set;
import org.homeserver.platform.ServiceContext;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.grpc.ServiceModule;
import org.homeserver.platform.grpc.ServiceParts;

/** The composition root of the federation gateway: builds it from the process's context. */
public final class FederationModule {
  public static final String NAME = "federation";

  private FederationModule() {}

  /** Migrates the federation schema and builds the gateway. */
  public static ServiceModule start(ServiceContext context) {
    ServiceDatabase database = context.openDatabase(NAME);
    return new ServiceParts(NAME, List.of(), Set.of(), 64 * 1024, List.of(), List.of(), List.of(), List.of(database));
  }
}
