package org.homeserver.platform.grpc;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodOptions.IdempotencyLevel;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.ExtensionRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.homeserver.api.common.v1.Exposure;
import org.homeserver.api.common.v1.ExposureProto;

/**
 * Every gRPC service of the API as its .proto files declare it (the descriptor set the build puts
 * in the proto jar): which homeserver service serves it, who calls it, and which of its methods may
 * be called again after a failure. The gateway routes and the channels between services are made
 * from this one list.
 */
public final class ApiCatalog {
  /** The descriptor set in the proto jar. */
  static final String RESOURCE = "/META-INF/homeserver/api.protoset";
  /** A package homeserver.NAME.v1 belongs to the homeserver service NAME. */
  private static final Pattern PACKAGE = Pattern.compile("homeserver\\.([a-z]+)\\.v[0-9]+");

  /** One method: its name and whether a repeat of it is harmless. */
  public record Method(String name, IdempotencyLevel idempotency) {
    /** Whether the method may be called again after a call failed without an answer. */
    public boolean retryable() {
      return idempotency != IdempotencyLevel.IDEMPOTENCY_UNKNOWN;
    }
  }

  /**
   * One gRPC service: its full name (homeserver.auth.v1.AuthService), the homeserver service
   * that serves it (auth), who calls it, and its methods.
   */
  public record ApiService(String fullName, String backend, Exposure exposure, List<Method> methods) {}

  private static final List<ApiService> SERVICES = load();

  private ApiCatalog() {}

  /** Every service, ordered by full name. */
  public static List<ApiService> services() {
    return SERVICES;
  }

  /** The services of one exposure, ordered by full name. */
  public static List<ApiService> services(Exposure exposure) {
    return SERVICES.stream().filter(s -> s.exposure() == exposure).toList();
  }

  private static List<ApiService> load() {
    ExtensionRegistry extensions = ExtensionRegistry.newInstance();
    ExposureProto.registerAllExtensions(extensions);
    FileDescriptorSet set;
    try (InputStream in = ApiCatalog.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the classpath: the proto jar is built without it");
      }
      set = FileDescriptorSet.parseFrom(in, extensions);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<ApiService> services = new ArrayList<>();
    for (FileDescriptorProto file : set.getFileList()) {
      Matcher pkg = PACKAGE.matcher(file.getPackage());
      if (!file.getPackage().startsWith("homeserver.")) {
        continue;   // imported: protovalidate's, protobuf's own
      }
      for (ServiceDescriptorProto service : file.getServiceList()) {
        String fullName = file.getPackage() + "." + service.getName();
        Exposure exposure = service.getOptions().getExtension(ExposureProto.exposure);
        if (!pkg.matches() || exposure == Exposure.EXPOSURE_UNSPECIFIED) {
          throw new IllegalStateException(fullName + " declares no exposure, or is outside homeserver.NAME.v1 "
              + "(common/v1/exposure.proto)");
        }
        List<Method> methods = new ArrayList<>();
        for (MethodDescriptorProto method : service.getMethodList()) {
          methods.add(new Method(method.getName(), method.getOptions().getIdempotencyLevel()));
        }
        services.add(new ApiService(fullName, pkg.group(1), exposure, List.copyOf(methods)));
      }
    }
    services.sort(Comparator.comparing(ApiService::fullName));
    return List.copyOf(services);
  }
}
