package org.homeserver.keypackage;

/** A KeyPackage that passed every check of a publish: its MLSMessage bytes as sent, and what claims pick by. */
public record PublishedKeyPackage(int cipherSuite, boolean lastResort, byte[] bytes) {
  public PublishedKeyPackage {
    bytes = bytes.clone();
  }

  @Override
  public byte[] bytes() {
    return bytes.clone();
  }
}
