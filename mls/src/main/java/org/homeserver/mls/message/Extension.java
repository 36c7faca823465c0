package org.homeserver.mls.message;

import java.util.List;
import java.util.Optional;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/**
 * An extension (RFC 9420 section 13): its type and its data as received, which is what is encoded
 * back. The types this codec knows are also decoded, strictly, into {@link #known()}; unknown types
 * (GREASE values included) are kept as they are.
 */
public record Extension(int type, byte[] data, Optional<Known> known) implements Encodable {
  public static final int APPLICATION_ID = 0x0001;
  public static final int RATCHET_TREE = 0x0002;
  public static final int REQUIRED_CAPABILITIES = 0x0003;
  public static final int EXTERNAL_PUB = 0x0004;
  public static final int EXTERNAL_SENDERS = 0x0005;
  /** draft-ietf-mls-extensions: marks a KeyPackage that may be handed out more than once. */
  public static final int LAST_RESORT = 0x000A;

  /** The decoded content of an extension type this codec knows. */
  public sealed interface Known {}

  public record ApplicationId(byte[] applicationId) implements Known {}

  public record RatchetTreeExtension(RatchetTree tree) implements Known {}

  public record RequiredCapabilities(List<Integer> extensionTypes, List<Integer> proposalTypes,
                                     List<Integer> credentialTypes) implements Known {}

  public record ExternalPub(byte[] externalPub) implements Known {}

  public record ExternalSender(byte[] signatureKey, Credential credential) {}

  public record ExternalSenders(List<ExternalSender> senders) implements Known {}

  public record LastResort() implements Known {}

  public static Extension decode(MlsReader r) throws MlsDecodeException {
    int type = r.u16("extension_type");
    return r.lengthPrefixed("extension_data", x -> {
      int start = x.position();
      Optional<Known> known = decodeKnown(x, type);
      if (known.isEmpty()) {
        x.skipRest();
      }
      return new Extension(type, x.bytesSince(start), known);
    });
  }

  public static List<Extension> decodeList(MlsReader r, String field) throws MlsDecodeException {
    return r.vector(field, Extension::decode);
  }

  @Override
  public void encode(MlsWriter w) {
    w.u16(type).opaque(data);
  }

  static void encodeList(List<Extension> extensions, MlsWriter w) {
    w.vector(extensions, Extension::encode);
  }

  /** The data of a known extension type, read in place; empty (nothing read) for other types. */
  private static Optional<Known> decodeKnown(MlsReader r, int type) throws MlsDecodeException {
    return Optional.ofNullable(switch (type) {
      case APPLICATION_ID -> r.struct("application_id", x -> new ApplicationId(x.opaque("application_id")));
      case RATCHET_TREE -> r.struct("ratchet_tree", x -> new RatchetTreeExtension(RatchetTree.decode(x)));
      case REQUIRED_CAPABILITIES -> r.struct("required_capabilities", x -> new RequiredCapabilities(
          x.vector("extension_types", y -> y.u16("extension_type")),
          x.vector("proposal_types", y -> y.u16("proposal_type")),
          x.vector("credential_types", y -> y.u16("credential_type"))));
      case EXTERNAL_PUB -> r.struct("external_pub", x -> new ExternalPub(x.opaque("external_pub")));
      case EXTERNAL_SENDERS -> r.struct("external_senders", x -> new ExternalSenders(
          x.vector("external_senders", y -> new ExternalSender(y.opaque("signature_key"),
              y.struct("credential", Credential::decode)))));
      case LAST_RESORT -> new LastResort();
      default -> null;
    });
  }
}
