package org.homeserver.mls.message;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/**
 * An extension (RFC 9420 section 13): its type and its extension_data as received, which is what is
 * encoded back. The data of the types this codec knows is decoded, strictly, only when asked for
 * ({@link #known()}): a homeserver relays extensions it has no use for, and one peer's encoding of
 * an extension nobody here reads (ts-mls 1.6.4 writes external_pub as the bare key, without the
 * length RFC 9420 section 12.4.3.2 puts in front of it) must not make a whole GroupInfo unreadable.
 */
public record Extension(int type, byte[] data) implements Encodable {
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
    return new Extension(r.u16("extension_type"), r.opaque("extension_data"));
  }

  /**
   * The decoded data of a type this codec knows; empty for other types (GREASE values included).
   *
   * @throws MlsDecodeException if the data does not decode as its type says (offsets within the data)
   */
  public Optional<Known> known() throws MlsDecodeException {
    if (!KNOWN_TYPES.contains(type)) {
      return Optional.empty();
    }
    return Optional.of(MlsReader.decodeAll(data, "extension_data", this::decodeKnown));
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

  private static final Set<Integer> KNOWN_TYPES =
      Set.of(APPLICATION_ID, RATCHET_TREE, REQUIRED_CAPABILITIES, EXTERNAL_PUB, EXTERNAL_SENDERS, LAST_RESORT);

  private Known decodeKnown(MlsReader r) throws MlsDecodeException {
    return switch (type) {
      case APPLICATION_ID -> new ApplicationId(r.opaque("application_id"));
      case RATCHET_TREE -> new RatchetTreeExtension(RatchetTree.decode(r));
      case REQUIRED_CAPABILITIES -> new RequiredCapabilities(
          r.vector("extension_types", y -> y.u16("extension_type")),
          r.vector("proposal_types", y -> y.u16("proposal_type")),
          r.vector("credential_types", y -> y.u16("credential_type")));
      case EXTERNAL_PUB -> new ExternalPub(r.opaque("external_pub"));
      case EXTERNAL_SENDERS -> new ExternalSenders(r.vector("external_senders",
          y -> new ExternalSender(y.opaque("signature_key"), y.struct("credential", Credential::decode))));
      case LAST_RESORT -> new LastResort();
      default -> throw new IllegalStateException("extension type " + type + " is not one of KNOWN_TYPES");
    };
  }
}
