package org.homeserver.mls.validation;

/** The rules a KeyPackage must pass (RFC 9420 sections 7.3 and 10.1), each with its own error. */
public enum KeyPackageRule {
  /** The KeyPackage's protocol version is mls10. */
  VERSION,
  /** The cipher suite is one RFC 9420 defines and the operator allows. */
  CIPHER_SUITE,
  /** The leaf node's source is key_package. */
  LEAF_NODE_SOURCE,
  /** Now (within the tolerance) lies between the lifetime's not_before and not_after. */
  LIFETIME,
  /** init_key and the leaf's encryption_key differ. */
  INIT_KEY_REUSED,
  /** init_key and encryption_key are public keys of the suite's KEM (by length). */
  HPKE_KEY,
  /** The signature key is a valid public key of the suite's signature scheme. */
  SIGNATURE_KEY,
  /** Capabilities list mls10, the cipher suite, the credential type in use and every non-default extension present. */
  CAPABILITIES,
  /** The leaf node's signature (LeafNodeTBS) verifies under its signature key. */
  LEAF_NODE_SIGNATURE,
  /** The KeyPackage's signature (KeyPackageTBS) verifies under the leaf's signature key. */
  SIGNATURE
}
