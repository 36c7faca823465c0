package org.homeserver.launcher;

import static org.homeserver.launcher.AuthenticationPathTest.certificate;
import static org.homeserver.launcher.AuthenticationPathTest.path;
import static org.homeserver.launcher.AuthenticationPathTest.validate;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.homeserver.api.auth.v1.GetAuthenticationRootsRequest;
import org.homeserver.api.auth.v1.ListClientsRequest;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.api.notifier.v1.GetVapidPublicKeyRequest;
import org.homeserver.api.notifier.v1.NotifierServiceGrpc;
import org.homeserver.launcher.HomeserverLifecycleTest.Cli;
import org.homeserver.launcher.TestHomeserver.TestClient;
import org.homeserver.notifier.webpush.VapidKey;
import org.homeserver.platform.config.HomeserverConfig;
import org.homeserver.platform.secrets.KeyEncryptionKey;
import org.homeserver.platform.secrets.SealedKeyException;
import org.homeserver.platform.secrets.Sealer;
import org.homeserver.platform.testing.ByteRuns;
import org.homeserver.platform.testing.TestPostgres;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The private keys of the auth service and the notifier as the database holds them: sealed under
 * the key-encryption key, read with plain SQL, through real homeservers on the real PostgreSQL.
 */
class PrivateKeysAtRestTest {
  private static final KeyEncryptionKey TEST_KEY = KeyEncryptionKey.fromBase64(TestHomeserver.KEY_ENCRYPTION_KEY);

  @TempDir
  Path dataDir;
  private final KeyEncryptionKey newKey = KeyEncryptionKey.generate(new SecureRandom());

  /** The private key columns, read and written with plain SQL; the values as stored, sealed or not. */
  private record StoredKeys(ByteString root, ByteString intermediate, String tokenKeyId, ByteString tokenKey,
                            ByteString vapid) {
    static StoredKeys read(Jdbi db) {
      return db.withHandle(h -> {
        var authority = h.createQuery("select root_private_key, intermediate_private_key from auth.authority")
            .mapToMap().one();
        var token = h.createQuery("select key_id, private_key from auth.token_keys").mapToMap().one();
        byte[] vapid = h.createQuery("select pkcs8 from notifier.vapid_keys").mapTo(byte[].class).one();
        return new StoredKeys(bytes(authority.get("root_private_key")), bytes(authority.get("intermediate_private_key")),
            (String) token.get("key_id"), bytes(token.get("private_key")), ByteString.copyFrom(vapid));
      });
    }

    void write(Jdbi db) {
      db.useTransaction(h -> {
        h.createUpdate("update auth.authority set root_private_key = :root, intermediate_private_key = :intermediate")
            .bind("root", root.toByteArray()).bind("intermediate", intermediate.toByteArray()).execute();
        h.createUpdate("update auth.token_keys set private_key = :key where key_id = :id")
            .bind("key", tokenKey.toByteArray()).bind("id", tokenKeyId).execute();
        h.createUpdate("update notifier.vapid_keys set pkcs8 = :key").bind("key", vapid.toByteArray()).execute();
      });
    }

    /** Each value by the purpose it is sealed for. */
    Map<String, ByteString> byPurpose() {
      Map<String, ByteString> values = new LinkedHashMap<>();
      values.put("auth.authority.root", root);
      values.put("auth.authority.intermediate", intermediate);
      values.put("auth.token_keys/" + tokenKeyId, tokenKey);
      values.put("notifier.vapid", vapid);
      return values;
    }

    /** These columns with {@code change} applied to each value and its purpose. */
    StoredKeys map(BiFunction<byte[], String, byte[]> change) {
      Map<String, ByteString> changed = new LinkedHashMap<>();
      byPurpose().forEach((purpose, value) ->
          changed.put(purpose, ByteString.copyFrom(change.apply(value.toByteArray(), purpose))));
      List<ByteString> values = List.copyOf(changed.values());
      return new StoredKeys(values.get(0), values.get(1), tokenKeyId, values.get(2), values.get(3));
    }

    private static ByteString bytes(Object column) {
      return ByteString.copyFrom((byte[]) column);
    }
  }

  /** What a client kept from the first homeserver on a database: its credential and a token. */
  private record FirstStart(TestClient client, String token, ByteString vapidPublicKey) {}

  /** A homeserver on {@code db} under the test key, with alice and a client of hers, and then stopped. */
  private FirstStart firstStart(String db) throws Exception {
    try (TestHomeserver first = TestHomeserver.start(config(db, Map.of()), List.of())) {
      first.registerUser("alice");
      TestClient client = first.registerClient("alice", SignatureScheme.ED25519);
      return new FirstStart(client, first.session(client), vapidPublicKey(first));
    }
  }

  private static Jdbi database(HomeserverConfig config) {
    return Jdbi.create(config.database().url().orElseThrow(), config.database().user(), config.database().password());
  }

  private Jdbi database(String db) throws Exception {
    return database(config(db, Map.of()));
  }

  private HomeserverConfig config(String db, Map<String, String> settings) throws Exception {
    return TestHomeserver.configFor(db, dataDir, settings);
  }

  private static Sealer sealer(KeyEncryptionKey key) {
    return new Sealer(key, List.of());
  }

  /** Whether a stored value reads as a private key without any key-encryption key: PKCS#8, or a raw Ed25519 key. */
  private static boolean readsAsAPlainKey(byte[] value) {
    if (value.length == Ed25519PrivateKeyParameters.KEY_SIZE) {
      return true;
    }
    try {
      KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(value));
      return true;
    } catch (java.security.GeneralSecurityException e) {
      return false;
    }
  }

  private static void assertKeyOf(X509Certificate certificate, byte[] pkcs8) throws Exception {
    PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    byte[] probe = "whose key is this".getBytes(StandardCharsets.UTF_8);
    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(key);
    signer.update(probe);
    byte[] signature = signer.sign();
    signer.initVerify(certificate.getPublicKey());
    signer.update(probe);
    assertTrue(signer.verify(signature), certificate.getSubjectX500Principal() + " is not this key's certificate");
  }

  private static ByteString vapidPublicKey(TestHomeserver hs) {
    return NotifierServiceGrpc.newBlockingStub(hs.channel).getVapidPublicKey(GetVapidPublicKeyRequest.getDefaultInstance())
        .getPublicKey();
  }

  @Test
  void privateKeyColumnsHoldNoPlaintextWhileTokensAndCredentialsVerify() throws Exception {
    try (TestHomeserver hs = TestHomeserver.start(Map.of())) {
      hs.registerUser("alice");
      TestClient client = hs.registerClient("alice", SignatureScheme.ED25519);
      String token = hs.session(client);
      assertEquals(client.userId(), hs.auth(token).listClients(ListClientsRequest.getDefaultInstance()).getUserId());
      X509Certificate root = certificate(hs.auth().getAuthenticationRoots(
          GetAuthenticationRootsRequest.getDefaultInstance()).getRootCertificates(0));
      validate(path(client.chain()), root);

      Jdbi db = database(hs.config);
      StoredKeys stored = StoredKeys.read(db);
      StoredKeys opened = stored.map(sealer(TEST_KEY)::unseal);
      stored.byPurpose().forEach((purpose, value) -> {
        assertFalse(readsAsAPlainKey(value.toByteArray()), purpose);
        assertFalse(ByteRuns.holdsPartOf(value.toByteArray(), opened.byPurpose().get(purpose).toByteArray()), purpose);
      });
      // What is sealed is what signs: the CAs' keys, the token key and the VAPID key in use.
      assertKeyOf(root, opened.root().toByteArray());
      assertKeyOf(certificate(client.chain().get(1)), opened.intermediate().toByteArray());
      byte[] tokenPublicKey = db.withHandle(h -> h.createQuery("select public_key from auth.token_keys")
          .mapTo(byte[].class).one());
      assertArrayEquals(tokenPublicKey,
          new Ed25519PrivateKeyParameters(opened.tokenKey().toByteArray()).generatePublicKey().getEncoded());
      assertEquals(vapidPublicKey(hs), ByteString.copyFrom(VapidKey.fromPkcs8(opened.vapid().toByteArray()).publicKey()));
    }
  }

  @Test
  void startWithANewKeyAndTheOldAsPreviousSealsEveryKeyAgainSoLaterStartsNeedOnlyTheNewOne() throws Exception {
    String db = TestPostgres.freshDatabase().jdbcUrl();
    FirstStart first = firstStart(db);
    Jdbi sql = database(db);
    StoredKeys underTestKey = StoredKeys.read(sql);

    try (TestHomeserver rotating = TestHomeserver.start(config(db, Map.of("secrets.key-encryption-key", newKey.base64(),
        "secrets.previous-key-encryption-keys", TEST_KEY.base64())), List.of())) {
      rotating.auth(first.token()).listClients(ListClientsRequest.getDefaultInstance());
    }
    StoredKeys underNewKey = StoredKeys.read(sql);
    underTestKey.byPurpose().forEach((purpose, value) -> assertNotEquals(value, underNewKey.byPurpose().get(purpose), purpose));
    assertEquals(underTestKey.map(sealer(TEST_KEY)::unseal), underNewKey.map(sealer(newKey)::unseal),
        "the same keys, now under the new key-encryption key alone");

    try (TestHomeserver rotated = TestHomeserver.start(
        config(db, Map.of("secrets.key-encryption-key", newKey.base64())), List.of())) {
      assertEquals(first.client().userId(),
          rotated.auth(first.token()).listClients(ListClientsRequest.getDefaultInstance()).getUserId());
      rotated.session(first.client());
      X509Certificate root = certificate(rotated.auth().getAuthenticationRoots(
          GetAuthenticationRootsRequest.getDefaultInstance()).getRootCertificates(0));
      validate(path(first.client().chain()), root);
      validate(path(rotated.registerClient("alice", SignatureScheme.ECDSA_SECP256R1_SHA256).chain()), root);
    }
    assertEquals(underNewKey, StoredKeys.read(sql), "nothing was left to seal again");
  }

  @Test
  void startWithAKeyThatSealedNothingHereIsRefusedNamingTheKeysAndChangesNothing() throws Exception {
    String db = TestPostgres.freshDatabase().jdbcUrl();
    firstStart(db);
    Jdbi sql = database(db);
    StoredKeys before = StoredKeys.read(sql);

    Path file = Files.writeString(dataDir.resolve("homeserver.yaml"), "domain: example.org\ndata-dir: " + dataDir
        + "\nserver:\n  host: 127.0.0.1\n  port: " + TestHomeserver.freePort() + "\nadmin:\n  port: 0\nmetrics:\n  port: 0"
        + "\ndatabase:\n  url: " + db + "\nsecrets:\n  key-encryption-key: " + newKey.base64() + "\n");
    // Were the start to succeed, serve would block: the timeout turns that into a failure.
    Cli serve = assertTimeoutPreemptively(Duration.ofMinutes(2), () -> Cli.run("--config", file.toString(), "serve"));
    assertEquals(Main.EXIT_CONFIG, serve.status(), serve.err());
    assertTrue(serve.err().startsWith("error: auth.authority.root is sealed under key-encryption key " + TEST_KEY.id()
        + ", which this process was not given (it has " + newKey.id() + " (current)); configure that key as "
        + "secrets.key-encryption-key-file or secrets.key-encryption-key, or list it in "
        + "secrets.previous-key-encryption-keys"), serve.err());
    assertEquals(before, StoredKeys.read(sql));
  }

  @Test
  void databaseOfAnEarlierVersionWithPlaintextKeysIsSealedAtStart() throws Exception {
    String db = TestPostgres.freshDatabase().jdbcUrl();
    FirstStart first = firstStart(db);
    Jdbi sql = database(db);
    // As earlier versions stored them: PKCS#8 and the raw Ed25519 key, in the clear.
    StoredKeys plaintext = StoredKeys.read(sql).map(sealer(TEST_KEY)::unseal);
    plaintext.write(sql);
    StoredKeys.read(sql).byPurpose().forEach((purpose, value) -> assertTrue(readsAsAPlainKey(value.toByteArray()), purpose));

    try (TestHomeserver upgraded = TestHomeserver.start(config(db, Map.of()), List.of())) {
      assertEquals(first.client().userId(),
          upgraded.auth(first.token()).listClients(ListClientsRequest.getDefaultInstance()).getUserId());
      upgraded.session(first.client());
      assertEquals(first.vapidPublicKey(), vapidPublicKey(upgraded));
    }
    StoredKeys sealed = StoredKeys.read(sql);
    sealed.byPurpose().forEach((purpose, value) -> assertTrue(Sealer.isSealed(value.toByteArray()), purpose));
    assertEquals(plaintext, sealed.map(sealer(TEST_KEY)::unseal));
  }

  @Test
  void sealedKeyCopiedIntoAnotherRowDoesNotOpenThere() throws Exception {
    String db = TestPostgres.freshDatabase().jdbcUrl();
    firstStart(db);
    Jdbi sql = database(db);
    StoredKeys stored = StoredKeys.read(sql);
    new StoredKeys(stored.intermediate(), stored.intermediate(), stored.tokenKeyId(), stored.tokenKey(), stored.vapid())
        .write(sql);

    SealedKeyException e = assertThrows(SealedKeyException.class,
        () -> Homeserver.start(config(db, Map.of()), List.of(), Clock.systemUTC()));
    assertEquals("auth.authority.root does not open under key-encryption key " + TEST_KEY.id() + ", the key it names: "
        + "the stored value was altered or copied from another row; restore it from a backup of the database",
        e.getMessage());
  }

  @Test
  void embeddedDatabaseGeneratesItsKeyOnceForItsOwnerAloneAndKeepsUsingIt() throws Exception {
    int port = TestHomeserver.freePort();
    HomeserverConfig config = TestHomeserver.configFor(null, dataDir, Map.of("database.embedded-port",
        Integer.toString(port)));
    Path file = dataDir.resolve("key-encryption-key");
    String generated;
    TestClient client;
    try (TestHomeserver first = TestHomeserver.start(config, List.of())) {
      generated = Files.readString(file);
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
      StoredKeys stored = StoredKeys.read(Jdbi.create("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", ""));
      StoredKeys opened = stored.map(sealer(KeyEncryptionKey.fromBase64(generated))::unseal);
      assertNotEquals(stored, opened, "sealed under the generated key, which opens them");
      first.registerUser("alice");
      client = first.registerClient("alice", SignatureScheme.ED25519);
    }
    try (TestHomeserver second = TestHomeserver.start(config, List.of())) {
      second.session(client);
    }
    assertEquals(generated, Files.readString(file));
  }

  @Test
  void checkConfigRefusesAnExternalDatabaseWithoutAKeyAndAKeyFileItCannotRead() throws Exception {
    Path file = dataDir.resolve("homeserver.yaml");
    String external = "domain: example.org\ndatabase:\n  url: jdbc:postgresql://db.internal:5432/homeserver\n";
    Files.writeString(file, external);
    Cli noKey = Cli.run("--config", file.toString(), "check-config");
    assertEquals(Main.EXIT_CONFIG, noKey.status());
    assertEquals("config: secrets.key-encryption-key-file: an external database (database.url) needs a "
        + "key-encryption key: set secrets.key-encryption-key-file or secrets.key-encryption-key "
        + "(HOMESERVER_SECRETS_KEY_ENCRYPTION_KEY) on every process; make one with `head -c 32 /dev/urandom | base64`",
        noKey.err().strip());

    Path keyFile = dataDir.resolve("kek");
    Files.writeString(file, external + "secrets:\n  key-encryption-key-file: " + keyFile + "\n");
    Cli missing = Cli.run("--config", file.toString(), "check-config");
    assertEquals(Main.EXIT_CONFIG, missing.status());
    assertEquals("config: secrets.key-encryption-key-file: " + keyFile + " does not exist", missing.err().strip());

    Files.writeString(keyFile, newKey.base64() + "\n");
    Cli good = Cli.run("--config", file.toString(), "check-config");
    assertEquals(0, good.status(), good.err());
  }
}
