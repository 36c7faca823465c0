package org.homeserver.platform.grpc;

import build.buf.protovalidate.Config;
import build.buf.protovalidate.Validator;
import build.buf.protovalidate.ValidatorFactory;
import build.buf.protovalidate.Violation;
import build.buf.protovalidate.exceptions.ValidationException;
import build.buf.validate.FieldPathElement;
import build.buf.validate.ValidateProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.ExtensionRegistry;
import com.google.protobuf.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.homeserver.api.common.v1.Common;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.common.v1.Rules;
import org.homeserver.platform.errors.Fact;
import org.homeserver.platform.errors.Refusal;

/**
 * Refuses, before any work is done, a request that breaks the rules its .proto files declare
 * (common.proto REQUEST RULES): the protovalidate rules of its fields, and the rules every request
 * shares, which are checked here: no NUL in any string, common.proto's {@code string_max_bytes}
 * for a string without string rules of its own, and the {@code max_bytes} a message type declares.
 * The refusal is the first broken rule's: INVALID_ARGUMENT (always, for a missing required field)
 * or the reason its field declares, naming the field; a BadRequest lists them all.
 */
public final class RequestRulesInterceptor extends RequestCheck {
  private static final int STRING_MAX_BYTES = DeclaredRules.stringMaxBytes();
  private static final String REQUIRED = "required";
  private static final String MESSAGE_MAX_BYTES = "message.max_bytes";
  private static final Validator VALIDATOR = ValidatorFactory.newBuilder()
      .withConfig(Config.newBuilder().setExtensionRegistry(sharedRules()).build())
      .build();

  /** One broken rule: where, which, why, and the size limit it states, if it is one. */
  private record Broken(String path, Optional<FieldDescriptor> field, String ruleId, String description,
                        OptionalLong limitBytes) {}

  @Override
  void check(Object message) {
    if (message instanceof Message request) {
      checkRules(request);
    }
  }

  /** Throws the refusal for {@code request} if it breaks any of its rules. */
  static void checkRules(Message request) {
    List<Broken> broken = new ArrayList<>();
    try {
      for (Violation v : VALIDATOR.validate(request).getViolations()) {
        broken.add(declared(request.getDescriptorForType(), v));
      }
    } catch (ValidationException e) {
      throw new IllegalStateException("the rules of " + request.getDescriptorForType().getFullName()
          + " cannot be evaluated", e);
    }
    shared(request, "", Optional.empty(), broken);
    if (!broken.isEmpty()) {
      throw refusal(broken);
    }
  }

  private static Refusal refusal(List<Broken> broken) {
    Broken first = broken.getFirst();
    String message = first.path().isEmpty() ? first.description() : first.path() + ": " + first.description();
    Refusal refusal = Refusal.of(reasonOf(first), message);
    if (!first.path().isEmpty()) {
      refusal = refusal.with(Fact.FIELD, first.path());
    }
    if (first.limitBytes().isPresent() && refusal.reason() == ErrorReason.REQUEST_TOO_LARGE) {
      refusal = refusal.with(Fact.LIMIT_BYTES, first.limitBytes().getAsLong());
    }
    Optional<String> rule = first.field().map(f -> f.getOptions().getExtension(Common.rule)).filter(r -> !r.isEmpty());
    if (rule.isPresent()) {
      refusal = refusal.with(Fact.RULE, rule.get()).with(Fact.DETAIL, first.description());
    }
    return refusal.withViolations(broken.stream()
        .map(b -> new Refusal.FieldViolation(b.path(), b.description())).toList());
  }

  private static ErrorReason reasonOf(Broken broken) {
    if (broken.ruleId().equals(MESSAGE_MAX_BYTES)) {
      return ErrorReason.REQUEST_TOO_LARGE;
    }
    if (broken.ruleId().equals(REQUIRED)) {
      return ErrorReason.INVALID_ARGUMENT;
    }
    return broken.field().filter(f -> f.getOptions().hasExtension(Common.reason))
        .map(f -> f.getOptions().getExtension(Common.reason))
        .orElse(ErrorReason.INVALID_ARGUMENT);
  }

  /** A protovalidate violation, with its field found by walking its path from the request's type. */
  private static Broken declared(Descriptor type, Violation violation) {
    var proto = violation.toProto();
    StringBuilder path = new StringBuilder();
    Optional<FieldDescriptor> field = Optional.empty();
    Descriptor at = type;
    for (FieldPathElement element : proto.getField().getElementsList()) {
      path.append(path.isEmpty() ? "" : ".").append(element.getFieldName());
      field = element.hasFieldNumber() && at != null
          ? Optional.ofNullable(at.findFieldByNumber(element.getFieldNumber())) : Optional.empty();
      at = field.filter(f -> f.getJavaType() == FieldDescriptor.JavaType.MESSAGE).map(FieldDescriptor::getMessageType)
          .orElse(null);
      switch (element.getSubscriptCase()) {
        case INDEX -> path.append('[').append(element.getIndex()).append(']');
        case STRING_KEY -> path.append("[\"").append(element.getStringKey()).append("\"]");
        case INT_KEY -> path.append('[').append(element.getIntKey()).append(']');
        case UINT_KEY -> path.append('[').append(element.getUintKey()).append(']');
        case BOOL_KEY -> path.append('[').append(element.getBoolKey()).append(']');
        case SUBSCRIPT_NOT_SET -> { }
      }
    }
    OptionalLong limit = violation.getRuleValue() != null && violation.getRuleValue().getValue() instanceof Number n
        ? OptionalLong.of(n.longValue()) : OptionalLong.empty();
    return new Broken(path.toString(), field, proto.getRuleId(), proto.getMessage(), limit);
  }

  /** The rules every request shares, for {@code message} (at {@code path}) and what it holds. */
  private static void shared(Message message, String path, Optional<FieldDescriptor> holder, List<Broken> broken) {
    long maxBytes = DeclaredRules.maxBytes(message.getDescriptorForType());
    if (maxBytes > 0 && message.getSerializedSize() > maxBytes) {
      broken.add(new Broken(path, holder, MESSAGE_MAX_BYTES,
          "is " + message.getSerializedSize() + " bytes; at most " + maxBytes, OptionalLong.of(maxBytes)));
    }
    for (Map.Entry<FieldDescriptor, Object> entry : message.getAllFields().entrySet()) {
      FieldDescriptor field = entry.getKey();
      List<?> values = field.isRepeated() ? (List<?>) entry.getValue() : List.of(entry.getValue());
      for (int i = 0; i < values.size(); i++) {
        String at = (path.isEmpty() ? "" : path + ".") + field.getName() + (field.isRepeated() ? "[" + i + "]" : "");
        switch (values.get(i)) {
          case String s -> sharedString(s, at, field, broken);
          case Message nested -> shared(nested, at, Optional.of(field), broken);
          default -> { }
        }
      }
    }
  }

  private static void sharedString(String value, String path, FieldDescriptor field, List<Broken> broken) {
    if (value.indexOf('\0') >= 0) {
      broken.add(new Broken(path, Optional.of(field), "string.no_nul", "must not contain a NUL character",
          OptionalLong.empty()));
    }
    if (!field.getOptions().getExtension(ValidateProto.field).hasString()
        && value.getBytes(StandardCharsets.UTF_8).length > STRING_MAX_BYTES) {
      broken.add(new Broken(path, Optional.of(field), "string.max_bytes",
          "must be at most " + STRING_MAX_BYTES + " bytes of UTF-8", OptionalLong.empty()));
    }
  }

  /** The predefined rules of rules.proto, which protovalidate must know to read the fields using them. */
  private static ExtensionRegistry sharedRules() {
    ExtensionRegistry registry = ExtensionRegistry.newInstance();
    Rules.registerAllExtensions(registry);
    return registry;
  }
}
