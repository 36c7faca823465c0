package org.homeserver.platform.grpc;

import build.buf.validate.FieldRules;
import build.buf.validate.ValidateProto;
import com.google.protobuf.Descriptors.Descriptor;
import org.homeserver.api.common.v1.Common;

/**
 * The request rules the .proto files declare, for code that must size something by them (a buffer,
 * a request limit, a grammar shared with ids), so that no limit is written twice.
 */
public final class DeclaredRules {
  private DeclaredRules() {}

  /** The protovalidate rules of field {@code number} of {@code type}. */
  public static FieldRules field(Descriptor type, int number) {
    return options(type, number).getExtension(ValidateProto.field);
  }

  /** The most bytes of UTF-8 in a string without string rules of its own (common.proto). */
  public static int stringMaxBytes() {
    return Common.getDescriptor().getOptions().getExtension(Common.stringMaxBytes);
  }

  /** The {@code each_max_bytes} field {@code number} of {@code type} declares (common.proto); 0 if none. */
  public static long eachMaxBytes(Descriptor type, int number) {
    return options(type, number).getExtension(Common.eachMaxBytes);
  }

  /** What 0 in field {@code number} of {@code type} stands for, as it declares ({@code zero_means}, common.proto). */
  public static long zeroMeans(Descriptor type, int number) {
    var options = options(type, number);
    if (!options.hasExtension(Common.zeroMeans)) {
      throw new IllegalArgumentException(type.getFullName() + " field " + number + " declares no zero_means");
    }
    return options.getExtension(Common.zeroMeans);
  }

  private static com.google.protobuf.DescriptorProtos.FieldOptions options(Descriptor type, int number) {
    var field = type.findFieldByNumber(number);
    if (field == null) {
      throw new IllegalArgumentException(type.getFullName() + " has no field " + number);
    }
    return field.getOptions();
  }

  /** The {@code max_bytes} a message type declares (common.proto); 0 if none. */
  public static long maxBytes(Descriptor type) {
    return type.getOptions().getExtension(Common.maxBytes);
  }
}
