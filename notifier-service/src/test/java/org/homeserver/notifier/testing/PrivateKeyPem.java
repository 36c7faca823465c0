package org.homeserver.notifier.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.PrivateKey;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/** Private keys written as the PKCS#8 PEM blocks that Apple's .p8 files and Google's key files hold. */
public final class PrivateKeyPem {
  private PrivateKeyPem() {}

  /** {@code key} as a {@code -----BEGIN PRIVATE KEY-----} block. */
  public static String of(PrivateKey key) {
    StringWriter text = new StringWriter();
    try (PemWriter pem = new PemWriter(text)) {
      pem.writeObject(new PemObject("PRIVATE KEY", key.getEncoded()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return text.toString();
  }
}
