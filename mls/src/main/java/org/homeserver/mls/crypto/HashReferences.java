package org.homeserver.mls.crypto;

import java.nio.charset.StandardCharsets;
import org.homeserver.mls.codec.MlsWriter;

/** The hash-based identifiers of RFC 9420 section 5.2: RefHash, KeyPackageRef and ProposalRef. */
public final class HashReferences {
  private static final String KEY_PACKAGE_LABEL = "MLS 1.0 KeyPackage Reference";
  private static final String PROPOSAL_LABEL = "MLS 1.0 Proposal Reference";

  private HashReferences() {}

  /**
   * RefHash: {@code Hash(opaque(label) || opaque(value))}. Unlike SignWithLabel, no "MLS 1.0 " prefix
   * is added here: the callers' labels already carry it.
   */
  public static byte[] refHash(CipherSuite suite, String label, byte[] value) {
    return suite.hash(new MlsWriter().opaque(label.getBytes(StandardCharsets.UTF_8)).opaque(value).toByteArray());
  }

  /** The KeyPackageRef of an encoded KeyPackage (the bare structure, not the MLSMessage around it). */
  public static byte[] keyPackageRef(CipherSuite suite, byte[] keyPackage) {
    return refHash(suite, KEY_PACKAGE_LABEL, keyPackage);
  }

  /** The ProposalRef of an encoded AuthenticatedContent that carries a proposal. */
  public static byte[] proposalRef(CipherSuite suite, byte[] authenticatedContent) {
    return refHash(suite, PROPOSAL_LABEL, authenticatedContent);
  }
}
